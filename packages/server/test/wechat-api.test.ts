import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '@hutong/core/testing';
import { HutongError } from '@hutong/protocol';
import { HttpWeChatApi } from '../src/auth/wechat-api.js';
import { type Sim, startSim, testApp } from './fixtures.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A scripted stand-in for WeChat's HTTP edge: bad replies the simulator never gives. */
async function scripted(handler: Handler): Promise<{ url: string; server: Server; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits };
}

const rejectsWith = (promise: Promise<unknown>, code: string, check?: (e: HutongError) => void) =>
  assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof HutongError, String(error));
    assert.equal(error.code, code);
    check?.(error);
    return true;
  });

describe('HttpWeChatApi against the simulator', () => {
  let sim: Sim;
  before(async () => {
    sim = await startSim();
  });
  after(() => sim.close());

  test('code2Session returns openid and session_key', async () => {
    const api = new HttpWeChatApi({ baseUrl: sim.url });
    const { code, openid } = await sim.login();
    const session = await api.code2Session(testApp, code);
    assert.equal(session.openid, openid);
    assert.match(session.sessionKey, /^[A-Za-z0-9+/]{22}==$/);
  });

  test('wrong secret → ERR_WX_CREDENTIALS, and the secret never appears in the message', async () => {
    const api = new HttpWeChatApi({ baseUrl: sim.url });
    const { code } = await sim.login();
    await rejectsWith(
      api.code2Session({ appid: testApp.appid, secret: 'wrong-secret-value' }, code),
      'ERR_WX_CREDENTIALS',
      (e) => assert.ok(!e.message.includes('wrong-secret-value')),
    );
  });

  test('access tokens are fetched once and shared by concurrent callers', async () => {
    const api = new HttpWeChatApi({ baseUrl: sim.url });
    const tokens = await Promise.all(Array.from({ length: 5 }, () => api.accessToken(testApp)));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(await api.accessToken(testApp), tokens[0]);
  });
});

describe('HttpWeChatApi against a misbehaving WeChat', () => {
  const servers: Server[] = [];
  after(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));
  const start = async (handler: Handler) => {
    const s = await scripted(handler);
    servers.push(s.server);
    return s;
  };

  test('timeout → ERR_WX_UNAVAILABLE', async () => {
    const { url } = await start(() => {
      /* never answers */
    });
    const api = new HttpWeChatApi({ baseUrl: url, timeoutMs: 200 });
    const started = Date.now();
    await rejectsWith(api.code2Session(testApp, 'c'), 'ERR_WX_UNAVAILABLE', (e) =>
      assert.ok(!e.message.includes(testApp.secret)),
    );
    assert.ok(Date.now() - started < 2000);
  });

  test('connection refused → ERR_WX_UNAVAILABLE', async () => {
    const api = new HttpWeChatApi({ baseUrl: 'http://127.0.0.1:1', timeoutMs: 1000 });
    await rejectsWith(api.code2Session(testApp, 'c'), 'ERR_WX_UNAVAILABLE');
  });

  test('HTML, HTTP 500 and a wrong JSON shape → ERR_WX_BAD_RESPONSE', async () => {
    const replies: [number, string][] = [
      [200, '<html>gateway</html>'],
      [500, '{}'],
      [200, '{"openid": 5}'],
    ];
    for (const [status, body] of replies) {
      const { url } = await start((_req, res) => res.writeHead(status).end(body));
      await rejectsWith(
        new HttpWeChatApi({ baseUrl: url }).code2Session(testApp, 'c'),
        'ERR_WX_BAD_RESPONSE',
      );
    }
  });

  test('errcodes: -1 busy, 45011 rate limit, 40226 blocked, unknown → typed codes with errcode', async () => {
    const cases: [number, string][] = [
      [-1, 'ERR_WX_UNAVAILABLE'],
      [45011, 'ERR_WX_RATE_LIMITED'],
      [40226, 'ERR_WX_CODE_INVALID'],
      [40163, 'ERR_WX_CODE_USED'],
      [99999, 'ERR_WX_API'],
    ];
    for (const [errcode, code] of cases) {
      const { url } = await start((_req, res) => res.end(JSON.stringify({ errcode, errmsg: 'x' })));
      await rejectsWith(new HttpWeChatApi({ baseUrl: url }).code2Session(testApp, 'c'), code, (e) =>
        assert.equal(e.details?.['errcode'], errcode),
      );
    }
  });

  test('a stale access token (40001) is dropped and the call retried once with a new one', async () => {
    let issued = 0;
    const { url, hits } = await start((req, res) => {
      if (req.url?.startsWith('/cgi-bin/stable_token')) {
        issued += 1;
        return res.end(JSON.stringify({ access_token: `t${issued}`, expires_in: 7200 }));
      }
      if (req.url?.includes('access_token=t1'))
        return res.end(JSON.stringify({ errcode: 40001, errmsg: 'invalid credential' }));
      return res.end(
        JSON.stringify({
          errcode: 0,
          phone_info: {
            phoneNumber: '1',
            purePhoneNumber: '1',
            countryCode: '86',
            watermark: { appid: testApp.appid, timestamp: 1 },
          },
        }),
      );
    });
    const phone = await new HttpWeChatApi({ baseUrl: url }).getPhoneNumber(testApp, 'code');
    assert.equal(phone.phoneNumber, '1');
    assert.equal(issued, 2);
    assert.equal(hits.filter((h) => h.startsWith('/wxa/business/getuserphonenumber')).length, 2);
  });

  test('tokens are refreshed 5 minutes before they expire', async () => {
    let issued = 0;
    const { url } = await start((_req, res) => {
      issued += 1;
      res.end(JSON.stringify({ access_token: `t${issued}`, expires_in: 7200 }));
    });
    const clock = new ManualClock(0);
    const api = new HttpWeChatApi({ baseUrl: url, now: clock.now });
    assert.equal(await api.accessToken(testApp), 't1');
    clock.set((7200 - 301) * 1000);
    assert.equal(await api.accessToken(testApp), 't1');
    clock.set((7200 - 299) * 1000);
    assert.equal(await api.accessToken(testApp), 't2');
  });
});
