import { randomBytes, randomInt } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const URLSAFE = `${ALNUM}-_`;

function randomString(alphabet: string, length: number): string {
  let out = '';
  for (const byte of randomBytes(length)) out += alphabet[byte % alphabet.length];
  return out;
}

/** 28 characters starting with `o`, the shape of real openids and unionids. */
export const newOpenid = (): string => `o${randomString(URLSAFE, 27)}`;

/** 32 alphanumerics, the shape of a `wx.login` code. */
export const newLoginCode = (): string => randomString(ALNUM, 32);

/** 64 hex characters; WeChat phone codes are opaque strings of about that length. */
export const newPhoneCode = (): string => randomBytes(32).toString('hex');

/**
 * An access token in WeChat's shape (`<n>_<opaque>`); real ones run to ~150 characters and
 * WeChat asks callers to store 512, so length must not be assumed.
 */
export const newAccessToken = (serial: number): string => `${serial}_${randomString(URLSAFE, 150)}`;

/** A mainland mobile number (11 digits starting with 1). */
export const newPhoneNumber = (): string => `13${randomInt(0, 1e9).toString().padStart(9, '0')}`;
