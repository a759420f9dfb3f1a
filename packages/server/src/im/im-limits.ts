import { createHash } from 'node:crypto';

/**
 * What one IM connection may cost the server (docs/im.md#limits). Each can be changed with the
 * ImHub option of the same name.
 */
export const imLimitDefaults = {
  /** Frames a connection may send before its login is accepted, at once… */
  preLoginBurst: 10,
  /** …and then per second. Over it the connection is closed (imCloseCodes.unloggedFlood). */
  preLoginPerSecond: 5,
  /**
   * Bytes the server may have queued for one socket (not yet taken by the kernel). A send that
   * would pass it closes the socket instead (imCloseCodes.slowConsumer). 1 MiB: 16 full frames.
   */
  maxBufferedBytes: 1024 * 1024,
  /** Devices of one user connected to one node; a login of one more is refused (1028). */
  maxDevicesPerUser: 10,
  /** Read receipts (type 61) per connection per second, bursts of twice that (then 1430). */
  maxReadsPerSecond: 10,
  /**
   * Frames one connection may have waiting for their turn (data, logins, logouts: ACKs and
   * receipts do not wait), in bytes. A data frame past it is refused with 1504 (busy, send again
   * later); anything else closes the connection (imCloseCodes.slowConsumer). 1 MiB: about 5,000
   * short messages, 16 of the largest.
   */
  maxQueuedBytes: 1024 * 1024,
  /**
   * Data frames waiting for the store on this node at once; past it they are refused with 1504 and
   * a `retryAfterMs` (backpressure), instead of a queue that grows until clients time out.
   */
  maxPendingAccepts: 4096,
  /**
   * The longest a data frame may wait for its turn on its connection before it is refused with
   * 1504 instead of accepted: a node behind on CPU sheds load cheaply rather than queueing it.
   */
  maxQueueWaitMs: 1000,
  /** The longest a device's resend time grows to (it follows the device's ACK round trip). */
  maxResendMs: 60_000,
} as const;

/**
 * A token bucket: `burst` tokens, full at first, refilled at `rate` per second up to `burst`. A
 * client pacing itself under the rate is not refused when the network delivers frames in bunches.
 */
export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    now = Date.now(),
  ) {
    this.#tokens = burst;
    this.#at = now;
  }

  /** Takes a token; false when there is none now. */
  take(now = Date.now()): boolean {
    this.#tokens = Math.min(this.burst, this.#tokens + (Math.max(0, now - this.#at) * this.rate) / 1000);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * What a device remembers of its login token to match a logout: a SHA-256, so signals between
 * nodes never carry a session key.
 */
export const sessionIdOf = (token: string): string => createHash('sha256').update(token).digest('base64url');
