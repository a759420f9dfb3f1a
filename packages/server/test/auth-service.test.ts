import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HutongError } from '@hutong/protocol';
import { randomKey16, signRawData } from '@hutong/protocol/wechat-crypto';
import { type AuthFixture, otherApp, startAuth, testApp } from './fixtures.js';

const rejectsWith = (promise: Promise<unknown>, code: string) =>
  assert.rejects(promise, (error: unknown) => error instanceof HutongError && error.code === code);

describe('AuthService', () => {
  let f: AuthFixture;
  before(async () => {
    f = await startAuth({ loginRatePerIp: { limit: 0, windowMs: 60_000 } });
  });
  after(() => f.close());

  test('code-only login creates a user and a random session unrelated to session_key', async () => {
    const { code, openid } = await f.sim.login();
    const result = await f.auth.login({ code });
    assert.equal(result.user.openid, openid);
    assert.equal(result.isNewUser, true);
    assert.match(result.user.id, /^[0-9a-f]{32}$/);
    assert.ok(Buffer.from(result.session.skey, 'base64url').length >= 16, 'skey has at least 128 bits');
    assert.notEqual(result.session.skey, result.session.sessionKey);
    assert.equal(result.userInfo.openId, openid);
    const checked = await f.auth.check(result.session.skey);
    assert.equal(checked.user.id, result.user.id);
  });

  test('a second login of the same user keeps the user id and reports an existing user', async () => {
    const first = await f.sim.login();
    const a = await f.auth.login({ code: first.code });
    const b = await f.auth.login({ code: (await f.sim.login({ openid: first.openid })).code });
    assert.equal(b.user.id, a.user.id);
    assert.equal(b.isNewUser, false);
    assert.notEqual(b.session.skey, a.session.skey);
    // Several devices by default: both sessions stay valid.
    await f.auth.check(a.session.skey);
    await f.auth.check(b.session.skey);
  });

  test('encryptedData + iv: decrypted, watermark checked, profile stored', async () => {
    const { code, openid } = await f.sim.login();
    const data = await f.sim.userInfo(code, { userInfo: { nickName: '小明', avatarUrl: 'https://x/y.png' } });
    const result = await f.auth.login({
      code,
      userData: { kind: 'encrypted', encryptedData: data.encryptedData, iv: data.iv },
    });
    assert.equal(result.userInfo.openId, openid);
    assert.equal(result.userInfo.nickName, '小明');
    assert.equal(result.userInfo.watermark?.appid, testApp.appid);
    assert.equal(result.user.profile?.nickName, '小明');
    // A later code-only login returns the stored profile.
    const again = await f.auth.login({ code: (await f.sim.login({ openid })).code });
    assert.equal(again.userInfo.nickName, '小明');
  });

  test('legacy encryptData without iv (2016 algorithm)', async () => {
    const { code, openid } = await f.sim.login();
    const data = await f.sim.userInfo(code, { userInfo: { nickName: 'Old', avatarUrl: 'a' } });
    const result = await f.auth.login({ code, userData: { kind: 'legacy', encryptData: data.encryptData } });
    assert.equal(result.userInfo.openId, openid);
    assert.equal(result.userInfo.nickName, 'Old');
  });

  test('rawData + signature (weapp-session)', async () => {
    const { code } = await f.sim.login();
    const data = await f.sim.userInfo(code, { userInfo: { nickName: 'Signed', avatarUrl: 'a' } });
    const result = await f.auth.login({
      code,
      userData: { kind: 'signed', rawData: data.rawData, signature: data.signature },
    });
    assert.equal(result.user.profile?.nickName, 'Signed');
  });

  test('bad user data is refused with a typed error and stores nothing', async () => {
    const cases: [string, (code: string) => Promise<Parameters<typeof f.auth.login>[0]>][] = [
      [
        'ERR_USER_DATA_SIGNATURE',
        async (code) => {
          const d = await f.sim.userInfo(code);
          return {
            code,
            userData: { kind: 'signed', rawData: d.rawData, signature: signRawData(d.rawData, 'forged') },
          };
        },
      ],
      [
        'ERR_USER_DATA_INVALID',
        async (code) => ({
          code,
          userData: { kind: 'encrypted', encryptedData: 'bm90IGRhdGE=', iv: randomKey16() },
        }),
      ],
      [
        'ERR_USER_DATA_INVALID',
        async (code) => {
          const d = await f.sim.userInfo(code);
          return { code, userData: { kind: 'encrypted', encryptedData: d.encryptedData, iv: randomKey16() } };
        },
      ],
    ];
    for (const [expected, make] of cases) {
      const { code, openid } = await f.sim.login();
      await rejectsWith(f.auth.login(await make(code)), expected);
      assert.equal(await f.store.getUser(testApp.appid, openid), null, `${expected}: nothing stored`);
    }
  });

  test('session_key rotation: user data from an earlier code no longer decrypts', async () => {
    const first = await f.sim.login();
    const data = await f.sim.userInfo(first.code);
    const second = await f.sim.login({ openid: first.openid });
    await rejectsWith(
      f.auth.login({
        code: second.code,
        userData: { kind: 'encrypted', encryptedData: data.encryptedData, iv: data.iv },
      }),
      'ERR_USER_DATA_INVALID',
    );
  });

  test('WeChat errors map to typed codes: unknown code, reused code, unknown app', async () => {
    await rejectsWith(f.auth.login({ code: 'no-such-code' }), 'ERR_WX_CODE_INVALID');
    const { code } = await f.sim.login();
    await f.auth.login({ code });
    await rejectsWith(f.auth.login({ code }), 'ERR_WX_CODE_USED');
    await rejectsWith(f.auth.login({ code: 'x', appid: 'wx-not-configured' }), 'ERR_APP_UNKNOWN');
  });

  test('several apps: the same code cannot cross apps, each app has its own users', async () => {
    const { code, openid } = await f.sim.login({ appid: otherApp.appid });
    const result = await f.auth.login({ code, appid: otherApp.appid });
    assert.equal(result.user.appid, otherApp.appid);
    assert.equal(result.user.openid, openid);
    const foreign = await f.sim.login({ appid: otherApp.appid });
    await rejectsWith(f.auth.login({ code: foreign.code }), 'ERR_WX_CODE_INVALID');
  });

  test('unknown, forged and wrong-user skeys are ERR_SESSION_INVALID', async () => {
    await rejectsWith(f.auth.check(''), 'ERR_SESSION_INVALID');
    await rejectsWith(f.auth.check('A'.repeat(32)), 'ERR_SESSION_INVALID');
    const a = await f.auth.login({ code: (await f.sim.login()).code });
    const b = await f.auth.login({ code: (await f.sim.login()).code });
    await rejectsWith(f.auth.check(a.session.skey, b.user.id), 'ERR_SESSION_INVALID');
    assert.equal((await f.auth.check(a.session.skey, a.user.id)).user.id, a.user.id);
  });

  test('logout ends one session; logoutEverywhere ends all of the user', async () => {
    const { code, openid } = await f.sim.login();
    const a = await f.auth.login({ code });
    const b = await f.auth.login({ code: (await f.sim.login({ openid })).code });
    assert.equal(await f.auth.logout(a.session.skey), true);
    await rejectsWith(f.auth.check(a.session.skey), 'ERR_SESSION_INVALID');
    await f.auth.check(b.session.skey);
    const c = await f.auth.login({ code: (await f.sim.login({ openid })).code });
    assert.equal(await f.auth.logoutEverywhere(c.session.skey), 2);
    await rejectsWith(f.auth.check(b.session.skey), 'ERR_SESSION_INVALID');
  });

  test('phone number binding through getuserphonenumber', async () => {
    const { code, openid } = await f.sim.login();
    const { session } = await f.auth.login({ code });
    const phoneCode = await f.sim.phoneCode(openid, testApp.appid);
    const { user, phone } = await f.auth.bindPhoneNumber(session.skey, phoneCode);
    assert.match(phone.phoneNumber, /^\+?\d+/);
    assert.equal(user.phoneNumber, phone.phoneNumber);
    await rejectsWith(f.auth.bindPhoneNumber(session.skey, phoneCode), 'ERR_PHONE_CODE_INVALID');
    await rejectsWith(f.auth.bindPhoneNumber('nope', phoneCode), 'ERR_SESSION_INVALID');
  });
});

describe('AuthService lifetimes and limits', () => {
  test('idle expiry slides with use; absolute expiry does not', async () => {
    const f = await startAuth({
      sessionTtlMs: 10 * 60_000,
      sessionIdleTtlMs: 3 * 60_000,
      touchIntervalMs: 1000,
    });
    try {
      const { session } = await f.auth.login({ code: (await f.sim.login()).code });
      f.clock.advance(2 * 60_000);
      await f.auth.check(session.skey); // slides idle expiry to now + 3 min
      f.clock.advance(2 * 60_000);
      await f.auth.check(session.skey); // still alive at 4 min thanks to the slide
      f.clock.advance(4 * 60_000); // 8 min, idle for 4 min
      await rejectsWith(f.auth.check(session.skey), 'ERR_SESSION_INVALID');

      const second = await f.auth.login({ code: (await f.sim.login()).code });
      for (let i = 0; i < 5; i += 1) {
        f.clock.advance(2 * 60_000);
        if (i < 4) await f.auth.check(second.session.skey);
      }
      // 10 min after login: the absolute lifetime is over however active the session was.
      await rejectsWith(f.auth.check(second.session.skey), 'ERR_SESSION_INVALID');
    } finally {
      await f.close();
    }
  });

  test('single-session mode: a new login ends the other sessions of the user', async () => {
    const f = await startAuth({ singleSession: true });
    try {
      const { code, openid } = await f.sim.login();
      const a = await f.auth.login({ code });
      const b = await f.auth.login({ code: (await f.sim.login({ openid })).code });
      await rejectsWith(f.auth.check(a.session.skey), 'ERR_SESSION_INVALID');
      await f.auth.check(b.session.skey);
    } finally {
      await f.close();
    }
  });

  test('login rate limits per address and per user', async () => {
    const f = await startAuth({
      loginRatePerIp: { limit: 2, windowMs: 60_000 },
      loginRatePerUser: { limit: 1, windowMs: 60_000 },
    });
    try {
      const { code, openid } = await f.sim.login();
      await f.auth.login({ code, ip: '10.0.0.1' });
      await rejectsWith(
        f.auth.login({ code: (await f.sim.login({ openid })).code, ip: '10.0.0.2' }),
        'ERR_RATE_LIMITED',
      );
      await f.auth.login({ code: (await f.sim.login()).code, ip: '10.0.0.3' });
      await f.auth.login({ code: (await f.sim.login()).code, ip: '10.0.0.3' });
      await rejectsWith(f.auth.login({ code: 'whatever', ip: '10.0.0.3' }), 'ERR_RATE_LIMITED');
      f.clock.advance(61_000);
      await f.auth.login({ code: (await f.sim.login()).code, ip: '10.0.0.3' });
    } finally {
      await f.close();
    }
  });
});
