import { closeCodes } from './close-codes.js';

/** Header names as the Wafer SDKs send them. Node lower-cases incoming names; compare with `lower`. */
export const wxHeaders = {
  code: 'X-WX-Code',
  encryptedData: 'X-WX-Encrypted-Data',
  iv: 'X-WX-IV',
  /** qcloud-weapp-client-sdk 0.7.4: encrypted user data from the 2016 API, sent without an IV. */
  encryptData: 'X-WX-Encrypt-Data',
  id: 'X-WX-Id',
  skey: 'X-WX-Skey',
  /** weapp-session dialect (2016 seed tutorial): rawData is URI-encoded in the header. */
  rawData: 'X-WX-RawData',
  signature: 'X-WX-Signature',
} as const;

export const lower = <T extends string>(name: T): Lowercase<T> => name.toLowerCase() as Lowercase<T>;

/** The key every Wafer 1 business response carries; its presence tells the client "handled by the SDK". */
export const WAFER_MAGIC = 'F2C224D4-2BCE-4C64-AF9F-A6D872000D1A';

/** Storage key the Wafer clients keep their session under. */
export const WAFER_SESSION_STORAGE_KEY = `weapp_session_${WAFER_MAGIC}`;

/** Wafer 1 business-side error types (what the official clients read in `error`). */
export const wafer1ErrorTypes = {
  loginFailed: 'ERR_LOGIN_FAILED',
  invalidSession: 'ERR_INVALID_SESSION',
  checkLoginFailed: 'ERR_CHECK_LOGIN_FAILED',
} as const;

/** The draining node's close code (`closeCodes.draining`, ./close-codes.ts): reconnect at once, elsewhere. */
export const DRAIN_CLOSE_CODE = closeCodes.draining;

/** A slow consumer's close code (`closeCodes.slowConsumer`): reconnect with backoff. */
export const SLOW_CONSUMER_CLOSE_CODE = closeCodes.slowConsumer;

/**
 * weapp-session (the 一笔到底 tutorial's session layer): why a request failed, in the `reason` of
 * its error body. The client logs in again on the first two and gives up on the third.
 */
export const weappSessionReasons = {
  /** The code names no live session. */
  expired: 'ERR_SESSION_EXPIRED',
  /** WeChat refused the code. */
  exchangeFailed: 'ERR_SESSION_KEY_EXCHANGE_FAILED',
  /** The signature does not match the rawData. */
  untrusted: 'ERR_UNTRUSTED_RAW_DATA',
} as const;

export type WeappSessionReason = (typeof weappSessionReasons)[keyof typeof weappSessionReasons];

/**
 * weapp-session's error body, answered with HTTP 200: Wafer 1's magic key, and `error` an object
 * (Wafer 1's is a string). `reason` is absent for a rawData that does not decode or parse.
 */
export interface WeappSessionErrorBody {
  [WAFER_MAGIC]: 1;
  reason?: WeappSessionReason;
  error: { name: string; message: string; detail?: unknown };
}

/** The body as a weapp-session error, or undefined when it is none (Wafer 1's bodies included). */
export function weappSessionErrorOf(body: unknown): WeappSessionErrorBody | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  const error = record['error'];
  if (!record[WAFER_MAGIC] || error === null || typeof error !== 'object') return undefined;
  return body as WeappSessionErrorBody;
}
