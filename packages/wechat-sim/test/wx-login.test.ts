import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decryptUserData } from '@hutong/protocol/wechat-crypto';
import { createWx, MemoryStorage } from '@hutong/wechat-sim';
import { code2session, startSim } from './helpers.js';

test('login → getUserInfo → the server exchanges the code and decrypts the data', async () => {
  const sim = await startSim();
  try {
    const app = sim.apps[0]!;
    const wx = createWx({ baseUrl: sim.url, userInfo: { nickName: 'Band', gender: 1 } });
    const login = await wx.login();
    assert.equal(login.errMsg, 'login:ok');
    const info = await wx.getUserInfo();
    assert.equal(info.errMsg, 'getUserInfo:ok');
    assert.deepEqual(info.userInfo, { nickName: 'Band', gender: 1 });
    for (const field of ['rawData', 'signature', 'encryptedData', 'iv', 'encryptData'] as const) {
      assert.equal(typeof info[field], 'string', field);
    }
    const session = await code2session(sim, app, login.code);
    assert.equal(session['openid'], wx.sim.openid);
    const plain = JSON.parse(
      decryptUserData(info.encryptedData, String(session['session_key']), info.iv) ?? '{}',
    );
    assert.equal(plain.openId, wx.sim.openid);
    assert.equal(plain.watermark.appid, app.appid);

    const profile = await wx.getUserProfile({ desc: 'show your name' });
    assert.equal(profile.errMsg, 'getUserProfile:ok');
    assert.equal('encryptData' in profile, false);
    const plain2 = JSON.parse(
      decryptUserData(profile.encryptedData, String(session['session_key']), profile.iv) ?? '{}',
    );
    assert.equal(plain2.openId, undefined);
  } finally {
    await sim.close();
  }
});

test('one wx keeps one user; checkSession follows the key of its last code', async () => {
  const sim = await startSim();
  try {
    const wx = createWx({ baseUrl: sim.url });
    await assert.rejects(wx.checkSession(), { errMsg: 'checkSession:fail session time out, need relogin' });
    await assert.rejects(wx.getUserInfo(), (e: { errMsg: string }) =>
      e.errMsg.startsWith('getUserInfo:fail'),
    );
    await wx.login();
    const openid = wx.sim.openid;
    assert.ok(openid);
    await wx.login();
    assert.equal(wx.sim.openid, openid);
    assert.equal((await wx.checkSession()).errMsg, 'checkSession:ok');

    // The same user logging in elsewhere (another device or a data pre-fetch) rotates the key.
    const other = createWx({ baseUrl: sim.url, openid });
    await other.login();
    await assert.rejects(wx.checkSession(), { errMsg: 'checkSession:fail session time out, need relogin' });

    const unknownApp = createWx({ baseUrl: sim.url, appid: 'wxffffffffffffffff' });
    const failed = await new Promise<{ errMsg: string }>((resolve) => unknownApp.login({ fail: resolve }));
    assert.match(failed.errMsg, /^login:fail invalid appid/);
  } finally {
    await sim.close();
  }
});

test('callbacks come later, in WeChat order, and the promise agrees', async () => {
  const sim = await startSim();
  try {
    const wx = createWx({ baseUrl: sim.url });
    const order: string[] = [];
    const result = wx.showToast({
      title: 'hi',
      success: () => order.push('success'),
      complete: () => order.push('complete'),
    });
    order.push('returned');
    assert.deepEqual(await result, { errMsg: 'showToast:ok' });
    assert.deepEqual(order, ['returned', 'success', 'complete']);

    assert.deepEqual(await wx.showModal({ title: 'sure?' }), {
      confirm: true,
      cancel: false,
      errMsg: 'showModal:ok',
    });
    assert.equal((await wx.showLoading({ title: '…' })).errMsg, 'showLoading:ok');
    assert.equal((await wx.hideLoading()).errMsg, 'hideLoading:ok');

    const failures: string[] = [];
    wx.getStorage({
      key: 'missing',
      fail: (r) => failures.push(r.errMsg),
      complete: () => failures.push('complete'),
    });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(failures, ['getStorage:fail data not found', 'complete']);
  } finally {
    await sim.close();
  }
});

test('storage: JSON deep copies, "" for a missing key, limits, shared across restarts', async () => {
  const storage = new MemoryStorage();
  const wx = createWx({ baseUrl: 'http://127.0.0.1:1', storage });
  const value = { a: [1, { b: 2 }], when: new Date(0), skip: undefined };
  wx.setStorageSync('k', value);
  const read = wx.getStorageSync('k') as Record<string, unknown>;
  assert.deepEqual(read, { a: [1, { b: 2 }], when: '1970-01-01T00:00:00.000Z' });
  (read['a'] as unknown[]).push(3);
  assert.deepEqual((wx.getStorageSync('k') as { a: unknown[] }).a, [1, { b: 2 }], 'reads are copies');
  value.a.push(4);
  assert.equal((wx.getStorageSync('k') as { a: unknown[] }).a.length, 2, 'writes are copies');

  assert.equal(wx.getStorageSync('missing'), '');
  wx.setStorageSync('zero', 0);
  assert.equal(wx.getStorageSync('zero'), 0);
  assert.deepEqual(wx.getStorageInfoSync().keys, ['k', 'zero']);
  wx.removeStorageSync('zero');
  assert.equal(wx.getStorageSync('zero'), '');

  assert.throws(
    () => wx.setStorageSync('big', 'x'.repeat(1024 * 1024)),
    /setStorageSync:fail entry size limit reached/,
  );
  assert.throws(() => wx.setStorageSync(5 as unknown as string, 1), /setStorageSync:fail parameter error/);

  await wx.setStorage({ key: 'async', data: { n: 1 } });
  assert.deepEqual((await wx.getStorage<{ n: number }>({ key: 'async' })).data, { n: 1 });
  await wx.removeStorage({ key: 'async' });
  await assert.rejects(wx.getStorage({ key: 'async' }), { errMsg: 'getStorage:fail data not found' });

  // A "restarted" app with the same storage still has its data.
  const restarted = createWx({ baseUrl: 'http://127.0.0.1:1', storage });
  assert.deepEqual((restarted.getStorageSync('k') as { a: unknown[] }).a, [1, { b: 2 }]);
  await restarted.clearStorage();
  assert.equal(wx.getStorageSync('k'), '');
  wx.setStorageSync('again', true);
  wx.clearStorageSync();
  assert.deepEqual(wx.getStorageInfoSync(), { keys: [], currentSize: 0, limitSize: 10240 });
});
