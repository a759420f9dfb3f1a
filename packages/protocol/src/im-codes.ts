/**
 * The IM wire's numbers (docs/protocols/mobileimsdk.md#mobileimsdk-wire) and Hutong's additions, with no schema library: the
 * client SDK imports this module, so mini programs ship no validator.
 */
import { closeCodes } from './close-codes.js';

export const imTypes = {
  login: 0,
  keepAlive: 1,
  data: 2,
  logout: 3,
  ack: 4,
  echo: 5,
  loginResponse: 50,
  pong: 51,
  error: 52,
  echoResponse: 53,
  kickout: 54,
} as const;
export type ImType = (typeof imTypes)[keyof typeof imTypes];

/** MobileIMSDK's error codes; 0–1024 are the framework's, apps use > 1024 for failed logins. */
export const imErrorCodes = {
  ok: 0,
  noLogin: 1,
  unknown: 2,
  sendFailed: 3,
  invalidProtocal: 4,
  brokenConnect: 201,
  badConnect: 202,
  sdkNotInitialized: 203,
  localNetworkNotWorking: 204,
  serverNetInfoNotSetUp: 205,
  /** Server → client (type 52): a packet other than login on a connection not logged in. */
  responseForUnlogin: 301,
} as const;

export const imKickoutCodes = { duplicateLogin: 1, admin: 2 } as const;

/** `"0"` is the server, `"-1"` unset. */
export const IM_SERVER = '0';
export const IM_UNSET = '-1';

/** Hutong's frame types beyond MobileIMSDK's (its clients ignore unknown types). */
export const imExtensionTypes = {
  /** Server → sender: a recipient device acknowledged a message. `dataContent`: `{fp, by, device}`. */
  deliveryReceipt: 60,
  /**
   * Read receipt. Client → server: `{conv, seq}`, the user has read `conv` up to `seq`. Server → the
   * conversation's other users: `{conv, seq, by}`.
   */
  read: 61,
} as const;

/** Error codes Hutong adds (MobileIMSDK leaves > 1024 to applications). */
export const imHutongCodes = {
  /** Login: the token is not a live session. */
  tokenInvalid: 1025,
  /** Login: the token is another user's. */
  tokenOtherUser: 1026,
  /** Login: the verifier could not answer (store down); retry. */
  verifyUnavailable: 1027,
  /** Login: the user has `maxDevicesPerUser` other devices connected to this node; one must go first. */
  tooManyDevices: 1028,
  /** Data: too many messages per second on this connection. */
  rateLimited: 1429,
  /** Read receipt (type 61): too many per second on this connection; it was not kept. */
  readsRateLimited: 1430,
  /** Data: refused by the business side's filter. */
  refused: 1403,
  /** Data: not stored (store unavailable); the client's resend will try again. */
  notAccepted: 1503,
  /**
   * Data: not taken now, the server is behind (backpressure). The error's content carries
   * `retryAfterMs`: the client waits that long before it sends again.
   */
  busy: 1504,
} as const;

/**
 * WebSocket close codes of `/im` (besides RFC 6455's: 1000 logout / refused login / kicked, 1003
 * binary frame, 1009 frame too large, 1001 shutdown), from the ranges of ./close-codes.ts.
 * docs/im.md#close-codes.
 */
export const imCloseCodes = {
  /** More frames before login than the pre-login budget allows (10, then 5 a second). Reconnect later. */
  unloggedFlood: closeCodes.preLoginFlood,
  /** The socket's send buffer passed the server's limit (a slow consumer). Reconnect with backoff. */
  slowConsumer: closeCodes.slowConsumer,
  /** The session this connection logged in with was logged out. Log in again: do not reuse the token. */
  loggedOut: closeCodes.loggedOut,
  /** The session this connection logged in with expired. A fresh session is needed to log in again. */
  sessionExpired: closeCodes.sessionExpired,
  /** The node is draining: reconnect at once, elsewhere. */
  draining: closeCodes.draining,
} as const;

/** Largest frame, as MobileIMSDK's gateway (Netty's default WebSocket payload limit). */
export const IM_MAX_FRAME_BYTES = 64 * 1024;

/** A stored message as Hutong shows it outside the server: `GET /im/history`, webhooks. */
export interface ImMessageView {
  sid: number;
  seq: number;
  conv: string;
  from: string;
  to: string;
  fp: string | null;
  typeu: number;
  content: string;
  createdAt: number;
}
