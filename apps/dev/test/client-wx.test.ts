import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { clientErrorTypes, LoginError, RequestError } from '@hutong/client/core';
import { WAFER_SESSION_STORAGE_KEY } from '@hutong/protocol';
import type { DevStack } from '../src/stack.js';
import { phone, tunnelIdOf, watch } from './client-fixture.js';
import { installWx, startTestStack, until } from './stack-fixture.js';

describe('@hutong/client on the simulator wx: session and request', () => {
  let stack: DevStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(() => stack.close());

  test('code-only login stores a Wafer-compatible session; request carries it', async () => {
    const { wx, client } = phone(stack);
    const userInfo = await client.login();
    assert.ok(userInfo, 'the dev stack answers userinfo');
    assert.equal(typeof (userInfo as { openId?: unknown }).openId, 'string');
    const stored = wx.getStorageSync(WAFER_SESSION_STORAGE_KEY) as { skey: string };
    assert.match(stored.skey, /^\S{20,}$/);
    const response = await client.request({ url: `${stack.url}/weapp/user` });
    assert.equal(response.statusCode, 200);
    assert.deepEqual((response.data as { code: number }).code, 0);
    assert.equal((response.data as { data: { openId: string } }).data.openId, wx.sim.openid);
  });

  test('login with legacy getUserInfo data sends the encrypted profile', async () => {
    const { client } = phone(stack, '老用户');
    const userInfo = await client.login({ withUserInfo: true });
    assert.equal((userInfo as { nickName?: string }).nickName, '老用户');
  });

  test('a stored session WeChat still holds is reused; force logs in again', async () => {
    const { wx, client } = phone(stack);
    await client.login();
    const code = wx.sim.code;
    await client.login();
    assert.equal(wx.sim.code, code, 'no new wx.login');
    await client.login({ force: true });
    assert.notEqual(wx.sim.code, code);
  });

  test('request with login: true logs in first; concurrent callers share one login', async () => {
    const { wx, client } = phone(stack);
    const codes = new Set<string>();
    const login = wx.login.bind(wx);
    wx.login = async (options) => {
      const result = await login(options);
      codes.add(result.code);
      return result;
    };
    const responses = await Promise.all(
      [1, 2, 3].map(() => client.request({ url: `${stack.url}/weapp/user`, login: true })),
    );
    assert.deepEqual(
      responses.map((r) => r.statusCode),
      [200, 200, 200],
    );
    assert.equal(codes.size, 1, 'one wx.login for three requests');
  });

  test('an invalid session is renewed once and the request retried', async () => {
    const { wx, client } = phone(stack);
    await client.login();
    wx.setStorageSync(WAFER_SESSION_STORAGE_KEY, {
      skey: 'forged-skey-that-the-server-never-issued',
      userInfo: null,
    });
    const before = wx.sim.code;
    const response = await client.request({ url: `${stack.url}/weapp/user` });
    assert.equal(response.statusCode, 200);
    assert.notEqual(wx.sim.code, before, 'logged in again');
    assert.notEqual(client.session.get()?.skey, 'forged-skey-that-the-server-never-issued');
  });

  test('callbacks instead of a promise: success/complete, and fail with a typed error', async () => {
    const { client } = phone(stack);
    const result = await new Promise<{ status: number; completed: boolean }>((resolve) => {
      let status = 0;
      const returned = client.request({
        url: `${stack.url}/weapp/user`,
        login: true,
        success: (response: { statusCode: number }) => {
          status = response.statusCode;
        },
        complete: () => resolve({ status, completed: true }),
      });
      assert.equal(returned, undefined, 'no promise when callbacks are given');
    });
    assert.deepEqual(result, { status: 200, completed: true });

    const unset = phone(stack).client;
    unset.setLoginUrl('');
    const error = await new Promise<Error>((resolve) => unset.login({ fail: resolve }));
    assert.ok(error instanceof LoginError);
    assert.equal((error as LoginError).type, clientErrorTypes.invalidParams);
  });

  test('a server that keeps refusing the session fails with ERR_SESSION_INVALID after one retry', async () => {
    const { client } = phone(stack);
    let calls = 0;
    const server = createServer((_req, res) => {
      calls += 1;
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end('{"code":-1,"error":"ERR_SESSION_INVALID"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await assert.rejects(client.request({ url, login: true }), (error) => {
      assert.ok(error instanceof RequestError);
      assert.equal(error.type, clientErrorTypes.sessionInvalid);
      return true;
    });
    server.close();
    assert.equal(calls, 2);
  });
});

describe('@hutong/client on the simulator wx: tunnels', () => {
  let stack: DevStack;
  before(async () => {
    stack = await startTestStack({ HUTONG_TUNNEL_HEARTBEAT: '1' });
  });
  after(() => stack.close());

  test('two users in the chat room: connect, people counts, speak and hear, close', async () => {
    const a = phone(stack, '甲');
    const b = phone(stack, '乙');
    await a.client.login({ withUserInfo: true });
    await b.client.login({ withUserInfo: true });
    const ta = new a.client.Tunnel(`${stack.url}/weapp/tunnel`);
    const tb = new b.client.Tunnel(`${stack.url}/weapp/tunnel`);
    const wa = watch(ta);
    const wb = watch(tb);
    ta.open();
    await until(() => ta.isActive(), 'a connected');
    tb.open();
    await until(() => wa.messages.filter((m) => m.type === 'people').length === 2, 'a sees b enter');
    assert.deepEqual(
      wa.messages.filter((m) => m.type === 'people').map((m) => m.content.total),
      [1, 2],
    );
    // Who is here: the newcomer alone learns the room's members on entering.
    const members = wb.messages.find((m) => m.type === 'members')!;
    assert.deepEqual(
      members.content.list.map((u: { nickName: string }) => u.nickName),
      ['甲', '乙'],
    );
    assert.equal(wa.messages.filter((m) => m.type === 'members').length, 1, 'a got its own list only');
    tb.emit('speak', { word: '你好' });
    await until(() => wa.messages.some((m) => m.type === 'speak'), 'a hears b');
    const said = wa.messages.find((m) => m.type === 'speak')!;
    assert.equal(said.content.word, '你好');
    assert.equal(said.content.who.nickName, '乙');
    await until(() => wb.messages.some((m) => m.type === 'speak'), 'b hears itself');
    tb.close();
    await until(() => wa.messages.some((m) => m.type === 'people' && m.content.leave), 'a sees b leave');
    assert.deepEqual(wb.events, ['connect', 'close']);
    assert.equal(tb.status, 'CLOSED');
    ta.close();
  });

  test('several tunnels at once on one phone, each with its own socket', async () => {
    const { client } = phone(stack);
    await client.login();
    const tunnels = [1, 2, 3].map(() => new client.Tunnel(`${stack.url}/weapp/tunnel`));
    const watched = tunnels.map(watch);
    for (const t of tunnels) t.open();
    await until(() => tunnels.every((t) => t.isActive()), 'all three connected');
    assert.equal(new Set(tunnels.map(tunnelIdOf)).size, 3);
    tunnels[0]!.emit('speak', { word: 'one for all' });
    await until(
      () => watched.every((w) => w.messages.some((m) => m.type === 'speak')),
      'every tunnel hears the word',
    );
    for (const t of tunnels) t.close();
  });

  test('emit with an acknowledgement resolves once the room took the message', async () => {
    const { client } = phone(stack);
    await client.login();
    const tunnel = new client.Tunnel(`${stack.url}/weapp/tunnel`);
    tunnel.open();
    // Queued while connecting, acknowledged after the connect.
    await tunnel.emit('speak', { word: 'acked' }, { ack: true });
    tunnel.close();
    await assert.rejects(
      async () => tunnel.emit('speak', { word: 'late' }, { ack: true }),
      (error: { type?: string }) => error.type === clientErrorTypes.tunnelClosed,
    );
    assert.throws(
      () => tunnel.emit('speak', { word: 'late' }),
      (error: { type?: string }) => error.type === clientErrorTypes.tunnelClosed,
    );
  });

  test('a second open while connecting or connected does nothing', async () => {
    const { client } = phone(stack);
    await client.login();
    const tunnel = new client.Tunnel(`${stack.url}/weapp/tunnel`);
    const w = watch(tunnel);
    tunnel.open();
    tunnel.open();
    await until(() => tunnel.isActive(), 'connected');
    tunnel.open();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(w.events, ['connect']);
    assert.equal(stack.chat.total >= 1, true);
    tunnel.close();
  });
});

describe('@hutong/client default exports on the global wx (the drop-in for wafer2-client-sdk)', () => {
  let stack: DevStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(() => stack.close());

  test('setLoginUrl, login, request, Session and new Tunnel(url) work as the Wafer client’s', async () => {
    const wx = installWx(stack, { nickName: '默认' });
    const hutong = await import('@hutong/client');
    hutong.setLoginUrl(`${stack.url}/weapp/login`);
    const userInfo = await hutong.login({ withUserInfo: true });
    assert.equal((userInfo as { nickName?: string }).nickName, '默认');
    assert.equal(
      hutong.Session.get()?.skey,
      (wx.getStorageSync(WAFER_SESSION_STORAGE_KEY) as { skey: string }).skey,
    );
    const response = await hutong.request({ url: `${stack.url}/weapp/user` });
    assert.equal((response.data as { code: number }).code, 0);
    const tunnel = new hutong.Tunnel(`${stack.url}/weapp/tunnel`);
    assert.equal(tunnel.status, hutong.Tunnel.STATUS_CLOSED);
    const people: number[] = [];
    tunnel.on('people', (content: { total: number }) => people.push(content.total));
    tunnel.open();
    await until(() => people.length === 1, 'entered the room');
    tunnel.close();
    hutong.clearSession();
    assert.equal(hutong.Session.get(), null);
    assert.equal(hutong.ERR_WX_LOGIN_FAILED, 'ERR_WX_LOGIN_FAILED');
  });
});
