import assert from 'node:assert/strict';
import { createCipheriv, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  decryptLegacyUserData,
  decryptUserData,
  encryptLegacyUserData,
  encryptUserData,
  randomKey16,
  sessionKeySignature,
  signRawData,
  verifyRawData,
} from '@hutong/protocol/wechat-crypto';

interface DecryptVector {
  appid: string;
  sessionKey: string;
  iv: string;
  encryptedData: string;
  expect: Record<string, unknown>;
}
const vector = JSON.parse(
  readFileSync(new URL('./vectors/wechat-decrypt.json', import.meta.url), 'utf8'),
) as DecryptVector;

// docs/protocols/wechat.md#test-vectors, from WeChat's documentation.
const rawData =
  '{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKARol6503Iuswjjn6nIGBiaycAjAtpujxyzYsrztuuICqIM5ibXQ/0"}';
const signatureKey = 'HyVFkGl5F5OQWJZZaNzBBg==';
const signature = '75e81ceda165f4ffa64f4068af58c64b8f54b88c';

describe('rawData signature (WeChat test vector)', () => {
  test('signRawData gives the published signature', () => {
    assert.equal(signRawData(rawData, signatureKey), signature);
  });
  test('verifyRawData accepts it in either case and rejects any change', () => {
    assert.equal(verifyRawData(rawData, signature, signatureKey), true);
    assert.equal(verifyRawData(rawData, signature.toUpperCase(), signatureKey), true);
    assert.equal(verifyRawData(`${rawData} `, signature, signatureKey), false);
    assert.equal(verifyRawData(rawData, signature.slice(1), signatureKey), false);
    assert.equal(verifyRawData(rawData, signature, 'tiihtNczf5v6AKRyjwEUhQ=='), false);
  });
});

describe('encryptedData (WeChat demo vector)', () => {
  test('decrypts to the published user', () => {
    const plain = decryptUserData(vector.encryptedData, vector.sessionKey, vector.iv);
    assert.ok(plain);
    const user = JSON.parse(plain) as Record<string, unknown>;
    for (const [key, value] of Object.entries(vector.expect)) assert.deepEqual(user[key], value, key);
  });

  test('round trip with a fresh key and iv; a different key does not decrypt to the text', () => {
    const key = randomKey16();
    const iv = randomKey16();
    const text = JSON.stringify({
      openId: 'o1',
      nickName: '测试',
      watermark: { appid: 'wx1', timestamp: 1 },
    });
    const encrypted = encryptUserData(text, key, iv);
    assert.equal(decryptUserData(encrypted, key, iv), text);
    assert.notEqual(decryptUserData(encrypted, randomKey16(), iv), text);
  });

  test('whitespace inside the base64 (as sent through headers) is tolerated', () => {
    const wrapped = vector.encryptedData.replace(/(.{64})/g, '$1\n');
    assert.ok(decryptUserData(wrapped, vector.sessionKey, vector.iv));
  });

  test('malformed base64 → null', () => {
    assert.equal(decryptUserData('!!!notbase64!!!', vector.sessionKey, vector.iv), null);
    assert.equal(decryptUserData(vector.encryptedData.slice(1), vector.sessionKey, vector.iv), null);
    assert.equal(decryptUserData('', vector.sessionKey, vector.iv), null);
    assert.equal(decryptUserData(vector.encryptedData, 'tiihtNczf5v6AKRyjwEU*Q==', vector.iv), null);
  });

  test('wrong key or iv length → null; encrypt refuses them', () => {
    const short = Buffer.alloc(8).toString('base64');
    const long = Buffer.alloc(24).toString('base64');
    assert.equal(decryptUserData(vector.encryptedData, short, vector.iv), null);
    assert.equal(decryptUserData(vector.encryptedData, long, vector.iv), null);
    assert.equal(decryptUserData(vector.encryptedData, vector.sessionKey, short), null);
    assert.throws(() => encryptUserData('x', short, vector.iv), TypeError);
    assert.throws(() => encryptLegacyUserData('x', long), TypeError);
  });

  test('ciphertext not a whole number of blocks → null', () => {
    const ten = Buffer.alloc(12).toString('base64');
    assert.equal(decryptUserData(ten, vector.sessionKey, vector.iv), null);
  });

  test('bad PKCS#7 padding → null', () => {
    // One block whose last byte is 0: never valid PKCS#7.
    const key = Buffer.from(vector.sessionKey, 'base64');
    const iv = Buffer.from(vector.iv, 'base64');
    const cipher = createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
    const block = Buffer.concat([cipher.update(Buffer.alloc(16, 0)), cipher.final()]).toString('base64');
    assert.equal(decryptUserData(block, vector.sessionKey, vector.iv), null);
  });
});

describe('legacy 2016 encryptData (IV = key, loose padding)', () => {
  test('round trip', () => {
    const key = randomKey16();
    const text = JSON.stringify({ openId: 'oLegacy', nickName: 'Band' });
    const encrypted = encryptLegacyUserData(text, key);
    assert.equal(decryptLegacyUserData(encrypted, key), text);
    // It is exactly AES-128-CBC with the key as IV.
    assert.equal(encrypted, encryptUserData(text, key, key));
  });

  test('a final byte outside 1..32 is kept, not stripped', () => {
    const key = randomKey16();
    const raw = Buffer.from(key, 'base64');
    const plain = Buffer.from('0123456789abcde!', 'utf8'); // last byte 0x21 = 33
    const cipher = createCipheriv('aes-128-cbc', raw, raw).setAutoPadding(false);
    const data = Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
    assert.equal(decryptLegacyUserData(data, key), '0123456789abcde!');
  });

  test('malformed input → null', () => {
    const key = randomKey16();
    assert.equal(decryptLegacyUserData('%%%', key), null);
    assert.equal(decryptLegacyUserData(encryptLegacyUserData('x', key), 'c2hvcnQ='), null);
  });
});

describe('session key helpers', () => {
  test('sessionKeySignature is hmac_sha256 keyed by the session_key text over ""', () => {
    const expected = createHmac('sha256', signatureKey).update('').digest('hex');
    assert.equal(sessionKeySignature(signatureKey), expected);
    assert.match(sessionKeySignature(signatureKey), /^[0-9a-f]{64}$/);
    assert.notEqual(sessionKeySignature(signatureKey), sessionKeySignature(vector.sessionKey));
  });

  test('randomKey16 is 16 random bytes in base64', () => {
    const key = randomKey16();
    assert.equal(key.length, 24);
    assert.equal(Buffer.from(key, 'base64').length, 16);
    assert.notEqual(randomKey16(), key);
  });
});
