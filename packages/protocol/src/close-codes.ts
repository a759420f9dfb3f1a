/**
 * WebSocket close codes of Hutong's tunnel and IM sockets, in ranges a client acts on without
 * knowing each code (docs/protocols/tunnel.md#close-codes):
 *
 * - 4000–4099: this link failed (no heartbeat, a slow consumer, a flood before login): reconnect
 *   after a backoff;
 * - 4400–4499: the session the link logged in with is no longer good: do not reconnect with it;
 * - 4500–4599: this node cannot keep the link (it is draining): reconnect at once, to another node;
 * - anything else (RFC 6455's 1000–1015, a network drop's 1006): reconnect after a backoff.
 */
export const closeCodes = {
  /** An orderly close (a `close` packet from either side). */
  normal: 1000,
  /** The server is shutting down. */
  goingAway: 1001,
  /** A binary frame: the tunnel protocol is text only. */
  unsupportedData: 1003,
  /** A frame over the server's size limit. */
  tooBig: 1009,
  /** The client's own: no pong within its heartbeat. */
  noPong: 4000,
  /** No frame and no pong within two heartbeat periods. */
  heartbeatTimeout: 4001,
  /** The socket's send buffer passed the server's budget for it (a slow consumer). */
  slowConsumer: 4008,
  /** Frames before login over the pre-login budget (IM). */
  preLoginFlood: 4029,
  /** The session this link logged in with was logged out: log in again, do not reuse it (IM). */
  loggedOut: 4401,
  /** The session this link logged in with expired: a fresh session is needed (IM). */
  sessionExpired: 4440,
  /** The node is draining (a rolling restart): reconnect at once, elsewhere. */
  draining: 4503,
} as const;

/** What a client does after a close: reconnect after a backoff, reconnect at once, or stop. */
export type CloseAdvice = 'reconnect' | 'reconnect-now' | 'stop';

/** The range rule above, for any code, known or not. */
export function closeAdvice(code: number): CloseAdvice {
  if (code >= 4400 && code <= 4499) return 'stop';
  if (code >= 4500 && code <= 4599) return 'reconnect-now';
  return 'reconnect';
}

/** Whether reconnecting after this close may help (everything but 4400–4499). */
export function isRetryableClose(code: number): boolean {
  return closeAdvice(code) !== 'stop';
}
