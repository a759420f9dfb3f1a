import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  encryptLegacyUserData,
  encryptUserData,
  randomKey16,
  signRawData,
} from '@hutong/protocol/wechat-crypto';
import { verifyUserData } from '../src/auth/user-data.js';

const appid = 'wx1111111111111111';
const openid = 'o-user-1';
const sessionKey = randomKey16();
const iv = randomKey16();
const now = Date.UTC(2026, 10, 21, 12);
const checks = { appid, openid, sessionKey, maxAgeMs: 600_000, now };
const encrypted = (payload: object) => ({
  kind: 'encrypted' as const,
  encryptedData: encryptUserData(JSON.stringify(payload), sessionKey, iv),
  iv,
});
const mark = (appId = appid, ageS = 0) => ({ appid: appId, timestamp: Math.floor(now / 1000) - ageS });

test('good encrypted data: openId forced to the code2Session one, profile extracted', () => {
  const result = verifyUserData(
    encrypted({ openId: openid, nickName: 'A', avatarUrl: 'u', unionId: 'un1', watermark: mark() }),
    checks,
  );
  assert.equal(result.userInfo.openId, openid);
  assert.deepEqual(result.profile, { nickName: 'A', avatarUrl: 'u' });
  assert.equal(result.unionId, 'un1');
});

test('a unionId counts only beside its openId: none without one, none from a tampered IV', () => {
  const noOpenId = verifyUserData(
    encrypted({ nickName: 'A', unionId: 'un-planted', watermark: mark() }),
    checks,
  );
  assert.equal(noOpenId.unionId, undefined);
  assert.equal(noOpenId.profile.nickName, 'A');
  // CBC: flipping IV bits flips the same bits of the first plaintext block. An attacker who knows
  // the data begins '{"openId":' can turn the key into '{"xpenId":' and keep the rest, unionId too.
  const payload = { openId: openid, unionId: 'un-real', watermark: mark() };
  const data = encryptUserData(JSON.stringify(payload), sessionKey, iv);
  const tampered = Buffer.from(iv, 'base64');
  tampered[2]! ^= 'o'.charCodeAt(0) ^ 'x'.charCodeAt(0);
  const result = verifyUserData(
    { kind: 'encrypted', encryptedData: data, iv: tampered.toString('base64') },
    checks,
  );
  assert.equal(result.userInfo.openId, openid);
  assert.equal(result.unionId, undefined);
  assert.equal(verifyUserData({ kind: 'encrypted', encryptedData: data, iv }, checks).unionId, 'un-real');
});

test('watermark of another app, missing watermark', () => {
  assert.throws(() => verifyUserData(encrypted({ watermark: mark('wx-other') }), checks), {
    code: 'ERR_USER_DATA_WATERMARK',
  });
  assert.throws(() => verifyUserData(encrypted({ nickName: 'x' }), checks), {
    code: 'ERR_USER_DATA_WATERMARK',
  });
});

test('stale or future-dated watermark', () => {
  assert.throws(() => verifyUserData(encrypted({ watermark: mark(appid, 601) }), checks), {
    code: 'ERR_USER_DATA_STALE',
  });
  assert.throws(() => verifyUserData(encrypted({ watermark: mark(appid, -120) }), checks), {
    code: 'ERR_USER_DATA_STALE',
  });
  assert.doesNotThrow(() => verifyUserData(encrypted({ watermark: mark(appid, 599) }), checks));
});

test('data of another user (decrypted openId differs) is refused', () => {
  assert.throws(() => verifyUserData(encrypted({ openId: 'o-other', watermark: mark() }), checks), {
    code: 'ERR_USER_DATA_INVALID',
  });
});

test('undecryptable, non-JSON and non-object plaintexts are ERR_USER_DATA_INVALID', () => {
  const bad = [
    { kind: 'encrypted' as const, encryptedData: 'not base64!', iv },
    { kind: 'encrypted' as const, encryptedData: encryptUserData('{}', randomKey16(), iv), iv },
    { kind: 'encrypted' as const, encryptedData: encryptUserData('not json', sessionKey, iv), iv },
    { kind: 'encrypted' as const, encryptedData: encryptUserData('[1,2]', sessionKey, iv), iv },
    { kind: 'encrypted' as const, encryptedData: encryptUserData('{}', sessionKey, iv), iv: 'short' },
    { kind: 'legacy' as const, encryptData: 'AAAA' },
  ];
  for (const input of bad)
    assert.throws(() => verifyUserData(input, checks), { code: 'ERR_USER_DATA_INVALID' });
});

test('legacy data decrypts without a watermark check', () => {
  const encryptData = encryptLegacyUserData(JSON.stringify({ nickName: 'Old' }), sessionKey);
  assert.equal(verifyUserData({ kind: 'legacy', encryptData }, checks).profile.nickName, 'Old');
});

test('signed rawData: good, forged, uppercase hex accepted', () => {
  const rawData = JSON.stringify({ nickName: 'S', avatarUrl: 'a' });
  const signature = signRawData(rawData, sessionKey);
  assert.equal(verifyUserData({ kind: 'signed', rawData, signature }, checks).profile.nickName, 'S');
  assert.equal(
    verifyUserData({ kind: 'signed', rawData, signature: signature.toUpperCase() }, checks).profile.nickName,
    'S',
  );
  assert.throws(
    () => verifyUserData({ kind: 'signed', rawData, signature: signRawData(rawData, 'x') }, checks),
    {
      code: 'ERR_USER_DATA_SIGNATURE',
    },
  );
  const notJson = 'nope';
  assert.throws(
    () =>
      verifyUserData(
        { kind: 'signed', rawData: notJson, signature: signRawData(notJson, sessionKey) },
        checks,
      ),
    {
      code: 'ERR_USER_DATA_INVALID',
    },
  );
});
