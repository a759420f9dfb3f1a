import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WAFER_MAGIC } from '@hutong/protocol';
import { type AuthFixture, startAuth } from '../../server/test/fixtures.js';
import { LocalAuthBackend } from '../src/backend.js';
import { createWafer1Config } from '../src/wafer1/config.js';
import { LoginService, LoginServiceError } from '../src/wafer1/login-service.js';

describe('Wafer 1 config', () => {
  test('options in PascalCase or camelCase, getters, setters, wrong types ignored, empty strings refused', () => {
    const config = createWafer1Config();
    config({
      ServerHost: 'a.com',
      authServerUrl: 'http://auth',
      NetworkTimeout: 'slow' as unknown as number,
    });
    assert.equal(config.getServerHost(), 'a.com');
    assert.equal(config.getAuthServerUrl(), 'http://auth');
    assert.equal(config.getNetworkTimeout(), 30_000);
    config.setNetworkTimeout(1234);
    assert.equal(config.getNetworkTimeout(), 1234);
    assert.throws(() => config.getTunnelServerUrl(), /TunnelServerUrl/);
  });
});

describe('LoginService', () => {
  let f: AuthFixture;
  let server: Server;
  let url: string;
  let lastResult: { error?: LoginServiceError; value?: unknown } = {};
  const config = createWafer1Config();
  class Service extends LoginService {
    static override config = config;
  }

  before(async () => {
    f = await startAuth({ loginRatePerIp: { limit: 0, windowMs: 1 } });
    config({ AuthBackend: new LocalAuthBackend(f.auth) });
    server = createServer((req, res) => {
      const service = Service.create(req, res);
      const done = (error: LoginServiceError | null, value?: unknown) => {
        lastResult = error ? { error } : { value };
        if (value && !res.headersSent) res.end(JSON.stringify({ ok: true, value }));
      };
      if (req.url === '/login') service.login(done);
      else if (req.url === '/login-promise')
        service.login()?.then(
          (v) => done(null, v),
          (e) => done(e),
        );
      else service.check(done);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await f.close();
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}${path}`, { headers });
    const body = (await response.json()) as Record<string, any>;
    // The SDK calls back on a later tick than it writes the response, like the original.
    await new Promise((resolve) => setTimeout(resolve, 10));
    return { status: response.status, body };
  };

  test('login writes {MAGIC: 1, session: {id, skey}} and resolves with userInfo (callback and promise)', async () => {
    for (const path of ['/login', '/login-promise']) {
      const { code, openid } = await f.sim.login();
      const { status, body } = await get(path, { 'x-wx-code': code });
      assert.equal(status, 200);
      assert.equal(body[WAFER_MAGIC], 1);
      assert.match(body['session'].id, /^[0-9a-f]{32}$/);
      assert.equal(typeof body['session'].skey, 'string');
      assert.equal((lastResult.value as { userInfo: { openId: string } }).userInfo.openId, openid);
    }
  });

  test('check resolves with userInfo for a good session', async () => {
    const { code, openid } = await f.sim.login();
    const { body } = await get('/login', { 'x-wx-code': code });
    const { status, body: checked } = await get('/user', {
      'x-wx-id': body['session'].id,
      'x-wx-skey': body['session'].skey,
    });
    assert.equal(status, 200);
    assert.equal(checked['value'].userInfo.openId, openid);
  });

  test('failures write the official error bodies', async () => {
    const cases: [string, Record<string, string>, string][] = [
      ['/login', {}, 'ERR_LOGIN_FAILED'],
      ['/login', { 'x-wx-code': 'bogus' }, 'ERR_LOGIN_FAILED'],
      ['/login', { 'x-wx-code': 'c', 'x-wx-encrypted-data': 'x', 'x-wx-iv': 'bad' }, 'ERR_LOGIN_FAILED'],
      ['/user', {}, 'ERR_INVALID_SESSION'],
      ['/user', { 'x-wx-id': 'a', 'x-wx-skey': 'b' }, 'ERR_INVALID_SESSION'],
    ];
    for (const [path, headers, type] of cases) {
      const { status, body } = await get(path, headers);
      assert.equal(status, 200);
      assert.equal(body[WAFER_MAGIC], 1);
      assert.equal(body['error'], type, `${path} ${JSON.stringify(headers)}`);
      assert.equal(typeof body['message'], 'string');
      assert.ok(lastResult.error instanceof LoginServiceError);
      assert.equal(lastResult.error.type, type);
    }
  });

  test('an unreachable auth server is ERR_CHECK_LOGIN_FAILED, not a crash', async () => {
    const remote = createWafer1Config();
    remote({ AuthServerUrl: 'http://127.0.0.1:1/auth', NetworkTimeout: 1000 });
    class Remote extends LoginService {
      static override config = remote;
    }
    const srv = createServer((req, res) => {
      Remote.create(req, res)
        .check()
        ?.catch(() => {});
    });
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/`, {
        headers: { 'x-wx-id': 'a', 'x-wx-skey': 'b' },
      });
      const body = (await response.json()) as Record<string, string>;
      assert.equal(body['error'], 'ERR_CHECK_LOGIN_FAILED');
    } finally {
      await new Promise((resolve) => srv.close(resolve));
    }
  });

  test('constructor refuses things that are not a request/response', () => {
    assert.throws(() => new LoginService({} as never, {} as never), TypeError);
  });
});
