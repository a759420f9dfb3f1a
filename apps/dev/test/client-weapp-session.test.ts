/**
 * @hutong/client in the weapp-session dialect (the 一笔到底 tutorial's weapp-session-client) against
 * a business server on `weappSession` backed by the dev stack's Hutong: the code is the session, the
 * first request logs in, one login for concurrent requests, a new login on ERR_SESSION_EXPIRED, no
 * retry on ERR_UNTRUSTED_RAW_DATA. Also `requestWithSession` (the original's default export shape)
 * and the Wafer dialect's understanding of weapp-session's error bodies.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as hutong from '@hutong/client';
import {
  clientErrorTypes,
  createClient,
  RequestError,
  WEAPP_SESSION_CODE_KEY,
  weappSessionDialect,
} from '@hutong/client/core';
import { createNodePlatform } from '@hutong/client/node';
import { createWxPlatform, type WxLike } from '@hutong/client/wx';
import { codeSessionKey } from '@hutong/core';
import { weappSession } from '@hutong/node-sdk/fastify';
import { WAFER_MAGIC, weappSessionReasons } from '@hutong/protocol';
import { createWx, MemoryStorage } from '@hutong/wechat-sim';
import Fastify, { type FastifyInstance } from 'fastify';
import { type DevStack, devApp } from '../src/stack.js';
import { installWx, startTestStack } from './stack-fixture.js';

let stack: DevStack;
let business: FastifyInstance;
let base: string;
/** What the business server saw, per request: the code and whether it came with rawData. */
const seen: { path: string; code?: string; login: boolean; extra?: string }[] = [];

/** weapp-session's error body with `reason`, as a server answers it. */
const failure = (reason?: string) => ({
  [WAFER_MAGIC]: 1,
  ...(reason ? { reason } : {}),
  error: { name: 'Error', message: reason ?? 'rawData is not JSON' },
});

before(async () => {
  stack = await startTestStack();
  business = Fastify();
  business.addHook('onRequest', async (request) => {
    const code = request.headers['x-wx-code'];
    seen.push({
      path: request.url,
      ...(typeof code === 'string' ? { code } : {}),
      login: request.headers['x-wx-rawdata'] !== undefined,
      ...(typeof request.headers['x-extra'] === 'string' ? { extra: request.headers['x-extra'] } : {}),
    });
  });
  await business.register(async (scope) => {
    scope.addHook('preHandler', weappSession({ auth: { url: stack.url } }));
    scope.get('/me', async (request) => ({ user: request.$wxUserInfo }));
    scope.post('/echo', async (request) => ({ user: request.$wxUserInfo, body: request.body }));
  });
  // Routes that always answer one weapp-session failure, or Wafer 2's login for the Wafer client.
  business.get('/always/:reason', async (request) => {
    const { reason } = request.params as { reason: string };
    return failure(reason === 'none' ? undefined : reason);
  });
  base = await business.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  await business.close();
  await stack.close();
});

/** A phone on the simulator with a weapp-session client; `storage` is the same app restarted. */
function phone(nickName = '一笔', storage = new MemoryStorage()) {
  const wx = createWx({
    baseUrl: `${stack.url}/__wx`,
    appid: devApp.appid,
    storage,
    userInfo: { nickName, avatarUrl: 'https://example.com/a.png' },
  });
  const client = createClient({
    platform: createWxPlatform(wx as unknown as WxLike),
    dialect: weappSessionDialect,
  });
  return { wx, client, storage };
}

const since = (mark: number) => seen.slice(mark);
const userOf = (response: { data: unknown }) =>
  (response.data as { user: { openId: string; nickName: string } }).user;

describe('@hutong/client, weapp-session dialect', () => {
  test('the first request logs in with code, rawData and signature; later ones send the code alone', async () => {
    const { wx, client, storage } = phone('一笔');
    const mark = seen.length;
    const first = await client.request({ url: `${base}/me` });
    assert.equal(userOf(first).openId, wx.sim.openid);
    assert.equal(userOf(first).nickName, '一笔', 'the signed profile reached the server');
    const second = await client.request({ url: `${base}/echo`, method: 'post', data: { n: 1 } });
    assert.deepEqual((second.data as { body: unknown }).body, { n: 1 });
    assert.equal(userOf(second).openId, wx.sim.openid);
    const code = wx.sim.code!;
    assert.deepEqual(
      since(mark).map((r) => [r.path, r.code, r.login]),
      [
        ['/me', code, true],
        ['/echo', code, false],
      ],
    );
    assert.equal(storage.get(WEAPP_SESSION_CODE_KEY).value, code, 'the code is kept in storage');

    // The app restarted: the stored code is still the session, no new wx.login.
    const restarted = phone('一笔', storage);
    const again = await restarted.client.request({ url: `${base}/me` });
    assert.equal(userOf(again).openId, wx.sim.openid);
    assert.equal(restarted.wx.sim.code, undefined, 'no wx.login on the restarted phone');
  });

  test('concurrent first requests share one login: one code exchanged, the others wait and send it', async () => {
    const { wx, client } = phone();
    const mark = seen.length;
    const responses = await Promise.all([1, 2, 3, 4].map(() => client.request({ url: `${base}/me` })));
    for (const response of responses) assert.equal(userOf(response).openId, wx.sim.openid);
    const requests = since(mark);
    assert.equal(requests.filter((r) => r.login).length, 1, 'one login request');
    assert.equal(new Set(requests.map((r) => r.code)).size, 1, 'one code for all');
  });

  test('ERR_SESSION_EXPIRED (the code ended) logs in again with a new code and retries once', async () => {
    const { wx, client } = phone();
    await client.request({ url: `${base}/me` });
    const oldCode = wx.sim.code!;
    assert.equal(
      await stack.hutong.auth.logout(codeSessionKey(oldCode)),
      true,
      'the session ends server-side',
    );
    const mark = seen.length;
    const response = await client.request({ url: `${base}/me` });
    assert.equal(userOf(response).openId, wx.sim.openid);
    const newCode = wx.sim.code!;
    assert.notEqual(newCode, oldCode);
    assert.deepEqual(
      since(mark).map((r) => [r.code, r.login]),
      [
        [oldCode, false],
        [newCode, true],
      ],
    );
  });

  test('a server that keeps saying the session expired fails with ERR_SESSION_INVALID after one retry', async () => {
    const { client } = phone();
    const mark = seen.length;
    await assert.rejects(
      client.request({ url: `${base}/always/${weappSessionReasons.expired}` }),
      (error: unknown) => error instanceof RequestError && error.type === clientErrorTypes.sessionInvalid,
    );
    assert.deepEqual(
      since(mark).map((r) => r.login),
      [true, true],
      'two logins, no more',
    );
  });

  test('ERR_UNTRUSTED_RAW_DATA fails at once with its type; a reasonless body fails too', async () => {
    const { client } = phone();
    let mark = seen.length;
    await assert.rejects(
      client.request({ url: `${base}/always/${weappSessionReasons.untrusted}` }),
      (error: unknown) =>
        error instanceof RequestError &&
        error.type === clientErrorTypes.untrustedRawData &&
        (error.detail as { statusCode: number }).statusCode === 200,
    );
    assert.equal(since(mark).length, 1, 'no retry');
    mark = seen.length;
    await assert.rejects(
      client.request({ url: `${base}/always/none` }),
      (error: unknown) => error instanceof RequestError && error.type === clientErrorTypes.checkLoginFailed,
    );
    assert.equal(since(mark).length, 1);
  });

  test('a code WeChat refuses (ERR_SESSION_KEY_EXCHANGE_FAILED) is retried with a fresh wx.login', async () => {
    const wx = createWx({ baseUrl: `${stack.url}/__wx`, appid: devApp.appid });
    const platform = createWxPlatform(wx as unknown as WxLike);
    // The first login hands the client a code the server cannot exchange.
    const login = platform.login;
    let first = true;
    platform.login = async () => {
      const code = await login();
      if (!first) return code;
      first = false;
      return 'a-code-wechat-never-issued';
    };
    const client = createClient({ platform, dialect: weappSessionDialect });
    const mark = seen.length;
    const response = await client.request({ url: `${base}/me` });
    assert.equal(userOf(response).openId, wx.sim.openid);
    assert.deepEqual(
      since(mark).map((r) => [r.code === 'a-code-wechat-never-issued', r.login]),
      [
        [true, true],
        [false, true],
      ],
    );
  });

  test('login() has no route to call in this dialect: a typed error', async () => {
    const { client } = phone();
    await assert.rejects(client.login(), { type: clientErrorTypes.invalidParams });
  });

  test('the Node platform on the simulator signs user data too (getUserInfo)', async () => {
    const client = createClient({
      platform: createNodePlatform({
        login: { simulator: `${stack.url}/__wx`, userInfo: { nickName: '节点' } },
      }),
      dialect: weappSessionDialect,
    });
    const response = await client.request({ url: `${base}/me` });
    assert.equal(userOf(response).nickName, '节点');
  });
});

describe('requestWithSession: weapp-session-client’s default export shape', () => {
  test('wx.request options with success/complete; `headers` sent as the original did', async () => {
    const wx = installWx(stack, { nickName: '原版' });
    const mark = seen.length;
    const result = await new Promise<{ statusCode: number; data: any }>((resolve, reject) => {
      hutong.requestWithSession({
        url: `${base}/echo`,
        method: 'post',
        data: { id: 'p1' },
        headers: { 'x-extra': 'kept' },
        success: (response) => resolve(response as { statusCode: number; data: any }),
        fail: reject,
      } as Parameters<typeof hutong.requestWithSession>[0]);
    });
    assert.equal(result.statusCode, 200);
    assert.equal(result.data.user.openId, wx.sim.openid);
    assert.deepEqual(result.data.body, { id: 'p1' });
    assert.deepEqual(
      since(mark).map((r) => [r.extra, r.login]),
      [['kept', true]],
    );
    const promised = await hutong.requestWithSession({ url: `${base}/me` });
    assert.equal(userOf(promised).nickName, '原版');
  });
});

describe('the Wafer dialect reads weapp-session error bodies', () => {
  test('ERR_SESSION_EXPIRED is an invalid session (log in, retry once); ERR_UNTRUSTED_RAW_DATA fails typed', async () => {
    const wx = createWx({ baseUrl: `${stack.url}/__wx`, appid: devApp.appid });
    const client = createClient({
      platform: createWxPlatform(wx as unknown as WxLike),
      loginUrl: `${stack.url}/weapp/login`,
    });
    await client.login();
    const before = wx.sim.code;
    await assert.rejects(
      client.request({ url: `${base}/always/${weappSessionReasons.expired}` }),
      (error: unknown) => error instanceof RequestError && error.type === clientErrorTypes.sessionInvalid,
    );
    assert.notEqual(wx.sim.code, before, 'it logged in again before giving up');
    await assert.rejects(
      client.request({ url: `${base}/always/${weappSessionReasons.untrusted}` }),
      (error: unknown) => error instanceof RequestError && error.type === clientErrorTypes.untrustedRawData,
    );
  });
});
