/**
 * Wafer 1, unchanged official packages: qcloud-weapp-server-sdk 0.8.2 as the business server
 * against Hutong's `/auth`, with wafer-client-sdk 0.8.4 on the simulator's `wx`; and
 * qcloud-weapp-client-sdk 0.7.4 (2016 encryptData, no IV) against a business server on
 * Hutong's node-sdk LoginService.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createWafer1Config, LoginService } from '@hutong/node-sdk';
import type { DevStack } from '../src/stack.js';
import { call, installWx, require, startTestStack } from './stack-fixture.js';

const SESSION_KEY = 'weapp_session_F2C224D4-2BCE-4C64-AF9F-A6D872000D1A';
type LoginServiceLike = {
  create(
    req: IncomingMessage,
    res: ServerResponse,
  ): {
    login(): Promise<{ userInfo: Record<string, unknown> }>;
    check(): Promise<{ userInfo: Record<string, unknown> }>;
  };
};

/** The business server of the Wafer 1 demo: `/login` and `/user`, on any LoginService. */
async function businessServer(service: LoginServiceLike): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const login = service.create(req, res);
    if (req.url?.startsWith('/login')) {
      login.login().catch(() => {});
    } else if (req.url?.startsWith('/user')) {
      login.check().then(
        ({ userInfo }) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ code: 0, data: userInfo }));
        },
        () => {},
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

let stack: DevStack;
before(async () => {
  stack = await startTestStack();
});
after(() => stack.close());

describe('qcloud-weapp-server-sdk 0.8.2 + wafer-client-sdk 0.8.4', () => {
  const qcloud = require('qcloud-weapp-server-sdk');
  const client = require('wafer-client-sdk');
  let business: { url: string; server: Server };

  before(async () => {
    qcloud.config({
      ServerHost: '127.0.0.1',
      AuthServerUrl: `${stack.url}/auth`,
      TunnelServerUrl: `${stack.url}/tunnel`,
      TunnelSignatureKey: 'unused-here',
      NetworkTimeout: 5000,
    });
    business = await businessServer(qcloud.LoginService);
    client.setLoginUrl(`${business.url}/login`);
  });
  after(() => new Promise((resolve) => business.server.close(resolve)));

  test('login, then a request carrying X-WX-Id and X-WX-Skey', async () => {
    const wx = installWx(stack, { nickName: '一代' });
    const login = await call<any>(client.login);
    assert.equal(login.ok, true, JSON.stringify(login));
    assert.equal(login.ok && login.value.nickName, '一代');
    const session = wx.getStorageSync(SESSION_KEY) as { id: string; skey: string };
    assert.match(session.id, /^[0-9a-f]{32}$/);
    const user = await call<any>(client.request, { url: `${business.url}/user`, login: true });
    assert.equal(user.ok, true, JSON.stringify(user));
    assert.equal(user.ok && user.value.data.data.nickName, '一代');
    assert.ok(user.ok && user.value.data.data.openId);
  });

  test('a forged skey is answered ERR_INVALID_SESSION; the client logs in again and succeeds', async () => {
    const wx = installWx(stack, { nickName: '伪造' });
    assert.equal((await call(client.login)).ok, true);
    const session = wx.getStorageSync(SESSION_KEY) as { id: string; skey: string };
    wx.setStorageSync(SESSION_KEY, { ...session, skey: 'forged-skey' });
    const user = await call<any>(client.request, { url: `${business.url}/user` });
    assert.equal(user.ok, true, JSON.stringify(user));
    assert.equal(user.ok && user.value.data.data.nickName, '伪造');
    assert.notEqual((wx.getStorageSync(SESSION_KEY) as { skey: string }).skey, 'forged-skey');
  });

  test('an expired session (gone from the store) is answered so that the client logs in again', async () => {
    const wx = installWx(stack, { nickName: '过期' });
    assert.equal((await call(client.login)).ok, true);
    const { skey } = wx.getStorageSync(SESSION_KEY) as { skey: string };
    await stack.hutong.store.deleteSession(skey);
    const user = await call<any>(client.request, { url: `${business.url}/user` });
    assert.equal(user.ok && user.value.data.code, 0);
  });

  test('what the official server SDK writes on failures', async () => {
    const noSession = await fetch(`${business.url}/user`);
    const body = (await noSession.json()) as Record<string, unknown>;
    assert.equal(body['F2C224D4-2BCE-4C64-AF9F-A6D872000D1A'], 1);
    assert.equal(body['error'], 'ERR_CHECK_LOGIN_FAILED'); // the official SDK's answer to missing headers
    const forged = await fetch(`${business.url}/user`, { headers: { 'x-wx-id': 'a', 'x-wx-skey': 'b' } });
    assert.equal(((await forged.json()) as Record<string, unknown>)['error'], 'ERR_INVALID_SESSION');
    const badCode = await fetch(`${business.url}/login`, {
      headers: { 'x-wx-code': 'nope', 'x-wx-encrypted-data': 'x', 'x-wx-iv': 'y' },
    });
    const failed = (await badCode.json()) as Record<string, string>;
    assert.equal(failed['error'], 'ERR_LOGIN_FAILED');
    assert.match(failed['message'] ?? '', /40029/);
  });
});

describe('qcloud-weapp-client-sdk 0.7.4 + Hutong node-sdk LoginService (remote and embedded)', () => {
  const client = require('qcloud-weapp-client-sdk');
  const servers: Server[] = [];
  after(() => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))));

  for (const mode of ['remote /auth', 'embedded'] as const) {
    test(`login with X-WX-Encrypt-Data (no IV) and a checked request — ${mode}`, async () => {
      const config = createWafer1Config();
      if (mode === 'embedded') {
        const { LocalAuthBackend } = await import('@hutong/node-sdk');
        config({ AuthBackend: new LocalAuthBackend(stack.hutong.auth) });
      } else {
        config({ authServerUrl: `${stack.url}/auth`, networkTimeout: 5000 });
      }
      class Service extends LoginService {
        static override config = config;
      }
      const business = await businessServer(Service as unknown as LoginServiceLike);
      servers.push(business.server);
      client.setLoginUrl(`${business.url}/login`);
      const wx = installWx(stack, { nickName: `旧版-${mode}` });
      const login = await call<any>(client.login);
      assert.equal(login.ok, true, JSON.stringify(login));
      const user = await call<any>(client.request, { url: `${business.url}/user` });
      assert.equal(user.ok, true, JSON.stringify(user));
      // The profile came through the 2016 encryption: the server decrypted it without an IV.
      assert.equal(user.ok && user.value.data.data.nickName, `旧版-${mode}`);
      wx.setStorageSync(SESSION_KEY, { ...(wx.getStorageSync(SESSION_KEY) as object), skey: 'forged' });
      const again = await call<any>(client.request, { url: `${business.url}/user` });
      assert.equal(again.ok && again.value.data.code, 0);
    });
  }
});
