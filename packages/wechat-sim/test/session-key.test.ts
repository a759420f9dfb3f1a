import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decryptLegacyUserData,
  decryptUserData,
  sessionKeySignature,
  verifyRawData,
} from '@hutong/protocol/wechat-crypto';
import { assertWxError, code2session, startSim } from './helpers.js';

type UserData = {
  userInfo: Record<string, unknown>;
  rawData: string;
  signature: string;
  encryptedData: string;
  iv: string;
  encryptData: string;
};

test('userinfo is made with the key its code yields: ids, watermark, signature, legacy form', async () => {
  const sim = await startSim();
  try {
    const app = sim.apps[0]!;
    const { code, openid } = await sim.login();
    const profile = {
      nickName: 'Band',
      gender: 1,
      language: 'zh_CN',
      city: 'Guangzhou',
      province: 'Guangdong',
      country: 'CN',
      avatarUrl: 'http://a/0',
    };
    const { status, body } = await sim.post('/sim/userinfo', {
      code,
      userInfo: { ...profile, openId: 'spoofed' },
    });
    assert.equal(status, 200);
    const data = body as unknown as UserData;
    const session = await code2session(sim, app, code);
    const key = String(session['session_key']);

    assert.deepEqual(data.userInfo, profile, 'ids sent by the caller are dropped');
    assert.equal(data.rawData, JSON.stringify(profile));
    assert.ok(verifyRawData(data.rawData, data.signature, key));
    const plain = JSON.parse(decryptUserData(data.encryptedData, key, data.iv) ?? 'null') as Record<
      string,
      unknown
    >;
    assert.deepEqual(Object.keys(plain), ['openId', ...Object.keys(profile), 'unionId', 'watermark']);
    assert.equal(plain['openId'], openid);
    assert.equal(plain['unionId'], session['unionid']);
    assert.deepEqual(plain['watermark'], { timestamp: Math.floor(sim.clock.now / 1000), appid: app.appid });
    const legacy = JSON.parse(decryptLegacyUserData(data.encryptData, key) ?? 'null') as Record<
      string,
      unknown
    >;
    assert.equal(legacy['openId'], openid);
    assert.equal(legacy['nickName'], 'Band');
    assert.equal(legacy['watermark'], undefined, 'the 2016 form had no watermark');

    // getUserProfile data: no ids in the encrypted part.
    const again = await sim.login({ openid });
    const profiled = (await sim.post('/sim/userinfo', { code: again.code, kind: 'profile' }))
      .body as unknown as UserData;
    const key2 = String((await code2session(sim, app, again.code))['session_key']);
    const plain2 = JSON.parse(decryptUserData(profiled.encryptedData, key2, profiled.iv) ?? 'null') as Record<
      string,
      unknown
    >;
    assert.equal(plain2['openId'], undefined);
    assert.equal(plain2['unionId'], undefined);
    assert.equal(plain2['nickName'], 'Band', 'the profile stays set on the user');
  } finally {
    await sim.close();
  }
});

test('a later login rotates the key: data made for code A does not decrypt with code B’s key', async () => {
  const sim = await startSim();
  try {
    const app = sim.apps[0]!;
    const a = await sim.login();
    const dataA = (await sim.post('/sim/userinfo', { code: a.code })).body as unknown as UserData;
    assert.deepEqual((await sim.post('/sim/checksession', { code: a.code })).body, { valid: true });
    const b = await sim.login({ openid: a.openid });
    assert.deepEqual((await sim.post('/sim/checksession', { code: a.code })).body, { valid: false });
    assert.deepEqual((await sim.post('/sim/checksession', { code: b.code })).body, { valid: true });

    const keyB = String((await code2session(sim, app, b.code))['session_key']);
    const keyA = String((await code2session(sim, app, a.code))['session_key']);
    assert.notEqual(keyA, keyB);
    const withB = decryptUserData(dataA.encryptedData, keyB, dataA.iv);
    assert.ok(withB === null || !withB.includes(a.openid), 'old data must not decrypt with the new key');
    assert.equal(verifyRawData(dataA.rawData, dataA.signature, keyB), false);
    assert.ok(decryptUserData(dataA.encryptedData, keyA, dataA.iv)?.includes(a.openid));
  } finally {
    await sim.close();
  }
});

test("rotateSessionKey: 'never' keeps one key per user", async () => {
  const sim = await startSim({ rotateSessionKey: 'never' });
  try {
    const app = sim.apps[0]!;
    const a = await sim.login();
    const b = await sim.login({ openid: a.openid });
    const keyA = (await code2session(sim, app, a.code))['session_key'];
    assert.equal((await code2session(sim, app, b.code))['session_key'], keyA);
    assert.deepEqual((await sim.post('/sim/checksession', { code: a.code })).body, { valid: true });
  } finally {
    await sim.close();
  }
});

test('checksession accepts hmac_sha256(session_key) of the current key only; resetusersessionkey rotates', async () => {
  const sim = await startSim();
  try {
    const app = sim.apps[0]!;
    const token = String(
      (
        await sim.get('/cgi-bin/token', {
          grant_type: 'client_credential',
          appid: app.appid,
          secret: app.secret,
        })
      )['access_token'],
    );
    const { code, openid } = await sim.login();
    const key = String((await code2session(sim, app, code))['session_key']);
    const check = (signature: string, extra: Record<string, string> = {}) =>
      sim.get('/wxa/checksession', {
        access_token: token,
        openid,
        signature,
        sig_method: 'hmac_sha256',
        ...extra,
      });

    assert.deepEqual(await check(sessionKeySignature(key)), { errcode: 0, errmsg: 'ok' });
    assertWxError(await check(sessionKeySignature('AAAAAAAAAAAAAAAAAAAAAA==')), 87009, 'invalid signature');
    assertWxError(await check(sessionKeySignature(key), { sig_method: 'md5' }), 87009, 'invalid signature');
    assertWxError(await check(sessionKeySignature(key), { openid: 'ounknown' }), 40003, 'invalid openid');
    assertWxError(
      await check(sessionKeySignature(key), { access_token: 'nope' }),
      40001,
      'invalid credential',
    );

    const reset = await sim.get('/wxa/resetusersessionkey', {
      access_token: token,
      openid,
      signature: sessionKeySignature(key),
      sig_method: 'hmac_sha256',
    });
    assert.equal(reset['errcode'], 0);
    assert.equal(reset['openid'], openid);
    assert.notEqual(reset['session_key'], key);
    assertWxError(await check(sessionKeySignature(key)), 87009, 'invalid signature');
    assert.equal((await check(sessionKeySignature(String(reset['session_key']))))['errcode'], 0);

    // A new wx.login rotates too.
    await sim.login({ openid });
    assertWxError(await check(sessionKeySignature(String(reset['session_key']))), 87009, 'invalid signature');
  } finally {
    await sim.close();
  }
});
