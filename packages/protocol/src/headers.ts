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

/**
 * WebSocket close code of a node that is draining (rolling restart): "reconnect now, elsewhere".
 * The Hutong clients reconnect at once, without backoff, and the load balancer picks another node.
 */
export const DRAIN_CLOSE_CODE = 4503;

/**
 * WebSocket close code of a tunnel socket whose send buffer passed the server's send budget (a
 * slow consumer). A normal drop for the clients: reconnect (resume) with backoff.
 */
export const SLOW_CONSUMER_CLOSE_CODE = 4008;
