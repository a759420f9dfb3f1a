/**
 * wafer2-client-sdk 2.1.0, unchanged, on the simulator's `wx`, against the dev stack's Wafer 2
 * demo routes.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { DevStack } from '../src/stack.js';
import { call, installWx, require, startTestStack } from './stack-fixture.js';

const sdk = require('wafer2-client-sdk');
let stack: DevStack;

before(async () => {
  stack = await startTestStack();
  sdk.setLoginUrl(`${stack.url}/weapp/login`);
});
after(() => stack.close());

const storedSkey = (wx: { getStorageSync(k: string): any }) =>
  wx.getStorageSync('weapp_session_F2C224D4-2BCE-4C64-AF9F-A6D872000D1A').skey as string;

test('login (getUserInfo data), then a request carrying the session', async () => {
  const wx = installWx(stack, { nickName: '二号' });
  const login = await call<any>(sdk.login);
  assert.equal(login.ok, true, JSON.stringify(login));
  assert.equal(login.ok && login.value.nickName, '二号');
  assert.ok(login.ok && login.value.openId);
  const skey = storedSkey(wx);
  assert.ok(skey);
  const user = await call<any>(sdk.request, { url: `${stack.url}/weapp/user` });
  assert.equal(user.ok, true);
  assert.equal(user.ok && user.value.statusCode, 200);
  assert.equal(user.ok && user.value.data.data.nickName, '二号');
});

test('loginWithCode for a returning user gets the stored profile', async () => {
  const first = installWx(stack, { nickName: '回头客' });
  assert.equal((await call(sdk.login)).ok, true);
  const { user } = await stack.hutong.auth.check(storedSkey(first));
  installWx(stack, { openid: user.openid });
  const again = await call<any>(sdk.loginWithCode);
  assert.equal(again.ok, true, JSON.stringify(again));
  assert.equal(again.ok && again.value.nickName, '回头客');
});

test('an expired or forged skey: the SDK logs in again by code and the request succeeds', async () => {
  const wx = installWx(stack, { nickName: '过期' });
  assert.equal((await call(sdk.login)).ok, true);
  const skey = storedSkey(wx);
  await stack.hutong.store.deleteSession(skey); // the server forgot the session (expiry, logout)
  const user = await call<any>(sdk.request, { url: `${stack.url}/weapp/user` });
  assert.equal(user.ok, true, JSON.stringify(user));
  assert.equal(user.ok && user.value.data.data.nickName, '过期');
  assert.notEqual(storedSkey(wx), skey, 'a new session was stored');

  wx.setStorageSync('weapp_session_F2C224D4-2BCE-4C64-AF9F-A6D872000D1A', { skey: 'forged', userinfo: {} });
  const again = await call<any>(sdk.request, { url: `${stack.url}/weapp/user` });
  assert.equal(again.ok && again.value.statusCode, 200);
});

test('request with login: true logs in first', async () => {
  installWx(stack, { nickName: '先登录' });
  const user = await call<any>(sdk.request, { url: `${stack.url}/weapp/user`, login: true });
  assert.equal(user.ok, true, JSON.stringify(user));
  assert.equal(user.ok && user.value.data.code, 0);
});

test('a request without a session gets 401 code -1; a bad code fails login with a typed error', async () => {
  const response = await fetch(`${stack.url}/weapp/user`);
  assert.equal(response.status, 401);
  assert.deepEqual(await response.json(), {
    code: -1,
    error: 'ERR_SESSION_INVALID',
    message: 'The session is unknown or has expired',
  });
  const bad = await fetch(`${stack.url}/weapp/login`, { headers: { 'x-wx-code': 'nope' } });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { error: string }).error, 'ERR_WX_CODE_INVALID');
  const none = await fetch(`${stack.url}/weapp/login`);
  assert.equal(((await none.json()) as { error: string }).error, 'ERR_HEADER_MISSING');
});
