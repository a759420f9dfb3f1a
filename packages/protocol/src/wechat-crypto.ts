/**
 * WeChat user-data cryptography (docs/protocols/wechat.md#user-data). Node only: the simulator encrypts with it, the
 * auth service decrypts with it. Every function is pure; failures come back as `null`/`false`,
 * never as exceptions, so callers map them to their own typed errors.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

const sha1Hex = (text: string): string => createHash('sha1').update(text, 'utf8').digest('hex');

/** `signature = sha1(rawData + session_key)`, hex. */
export function signRawData(rawData: string, sessionKey: string): string {
  return sha1Hex(rawData + sessionKey);
}

/** Constant-time comparison of two strings (false on length mismatch, without early exit on content). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

export function verifyRawData(rawData: string, signature: string, sessionKey: string): boolean {
  return safeEqual(signRawData(rawData, sessionKey), signature.toLowerCase());
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeKey(base64: string): Buffer | null {
  if (base64.length !== 24 || !BASE64.test(base64)) return null;
  const key = Buffer.from(base64, 'base64');
  return key.length === 16 ? key : null;
}

function decodeCiphertext(base64: string): Buffer | null {
  const compact = base64.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) return null;
  const bytes = Buffer.from(compact, 'base64');
  return bytes.length > 0 && bytes.length % 16 === 0 ? bytes : null;
}

function aes(
  mode: 'encrypt' | 'decrypt',
  key: Buffer,
  iv: Buffer,
  data: Buffer,
  autoPadding: boolean,
): Buffer | null {
  try {
    const cipher =
      mode === 'encrypt' ? createCipheriv('aes-128-cbc', key, iv) : createDecipheriv('aes-128-cbc', key, iv);
    cipher.setAutoPadding(autoPadding);
    return Buffer.concat([cipher.update(data), cipher.final()]);
  } catch {
    return null;
  }
}

/**
 * Current algorithm: AES-128-CBC, PKCS#7, key = b64(session_key), IV = b64(iv).
 * Returns the plaintext, or null when the inputs are malformed or the padding is wrong.
 */
export function decryptUserData(encryptedData: string, sessionKey: string, iv: string): string | null {
  const key = decodeKey(sessionKey);
  const ivBytes = decodeKey(iv);
  const data = decodeCiphertext(encryptedData);
  if (!key || !ivBytes || !data) return null;
  return aes('decrypt', key, ivBytes, data, true)?.toString('utf8') ?? null;
}

export function encryptUserData(plaintext: string, sessionKey: string, iv: string): string {
  const key = decodeKey(sessionKey);
  const ivBytes = decodeKey(iv);
  if (!key || !ivBytes) throw new TypeError('session key and iv must be 16 bytes in base64');
  return aes('encrypt', key, ivBytes, Buffer.from(plaintext, 'utf8'), true)!.toString('base64');
}

/**
 * The 2016 algorithm (no IV on the wire): AES-128-CBC with IV = key, and a loose PKCS#7 strip —
 * a final byte of 1..32 is removed as padding, anything else is left as is.
 */
export function decryptLegacyUserData(encryptData: string, sessionKey: string): string | null {
  const key = decodeKey(sessionKey);
  const data = decodeCiphertext(encryptData);
  if (!key || !data) return null;
  const plain = aes('decrypt', key, key, data, false);
  if (!plain) return null;
  const pad = plain[plain.length - 1] ?? 0;
  const body = pad >= 1 && pad <= 32 ? plain.subarray(0, plain.length - pad) : plain;
  return body.toString('utf8');
}

export function encryptLegacyUserData(plaintext: string, sessionKey: string): string {
  const key = decodeKey(sessionKey);
  if (!key) throw new TypeError('session key must be 16 bytes in base64');
  return aes('encrypt', key, key, Buffer.from(plaintext, 'utf8'), true)!.toString('base64');
}

/** `checksession` / `resetusersessionkey` signature: hmac_sha256(session_key, ""), hex. */
export function sessionKeySignature(sessionKey: string): string {
  return createHmac('sha256', sessionKey).update('').digest('hex');
}

/** A fresh WeChat-style session_key or iv: 16 random bytes in base64 (24 characters). */
export function randomKey16(): string {
  return randomBytes(16).toString('base64');
}
