import type { WebSocket } from 'ws';
import { sessionIdOf, type TokenBucket } from './im-limits.js';

/** A message written to a device and not yet acknowledged by it. */
export interface InFlight {
  iseq: number;
  frame: string;
  sentAt: number;
  tries: number;
}

/**
 * One logged-in connection: a user's device. Messages reach it in inbox order (`iseq`); its
 * acknowledgements move its cursor over the acknowledged prefix, so a message it never
 * acknowledged comes again on its next login.
 */
export class ImDevice {
  /** Keyed by `<sender>\0<fp>`: what an ACK names. */
  readonly inFlight = new Map<string, InFlight>();
  /** Inbox numbers acknowledged beyond the cursor (out of order). */
  readonly #acked = new Set<number>();
  /** While the backlog is loading, live messages wait here, then follow it in order. */
  waiting: { iseq: number; frame: string; key: string }[] | undefined;
  /** The cursor as last written to the store. */
  savedCursor: number;
  /** The highest inbox number written to this device. */
  written = 0;
  /** A backlog read is running; `dirty`: more arrived meanwhile, read again. */
  syncing = false;
  dirty = false;
  /** Identifies the login token (a hash): a logout of that session closes this connection. */
  readonly session: string;
  /**
   * When the login's session must be checked again (its expiry, as the verifier said); undefined:
   * the login is not bound to a session that expires. `checking`: a check is running.
   */
  checkAt: number | undefined;
  checking = false;
  /** The login is bound to a session (its verdict had `expiresAt`): a logout of all the user's sessions ends it. */
  readonly sessionBound: boolean;
  /**
   * The device's ACK round trip (RFC 6298's smoothed estimate and variation, ms), from messages
   * acknowledged on their first write (Karn: a resent one says nothing about the round trip).
   * Undefined until the first sample.
   */
  srtt: number | undefined;
  rttvar = 0;

  constructor(
    readonly ws: WebSocket,
    readonly login: { userId: string; token: string; extra: string | null },
    readonly device: string,
    readonly firstLoginTime: number,
    /** The cursor when this connection logged in; moved by acknowledgements. */
    public cursor: number,
    /** Rate limits: data frames and read receipts (token buckets, two seconds' worth of burst). */
    readonly limits: { messages: TokenBucket; reads: TokenBucket },
    expiresAt: number | undefined,
  ) {
    this.savedCursor = cursor;
    this.session = sessionIdOf(login.token);
    this.checkAt = expiresAt;
    this.sessionBound = expiresAt !== undefined;
  }

  get userId(): string {
    return this.login.userId;
  }

  /** The inbox number this device should get next. */
  get next(): number {
    return Math.max(this.cursor, this.written) + 1;
  }

  /**
   * An acknowledgement of `key`: true when it names a message in flight to this device. The
   * cursor moves over every acknowledged number that follows it without a gap.
   */
  acknowledge(key: string, now = Date.now()): InFlight | undefined {
    const entry = this.inFlight.get(key);
    if (!entry) return undefined;
    this.inFlight.delete(key);
    if (entry.tries === 0) this.#sample(now - entry.sentAt);
    this.#acked.add(entry.iseq);
    while (this.#acked.has(this.cursor + 1)) {
      this.cursor += 1;
      this.#acked.delete(this.cursor);
    }
    return entry;
  }

  /**
   * How long a message written to this device waits for its ACK before it is written again: the
   * measured round trip plus four deviations (RFC 6298), never less than `floorMs` (the hub's
   * `resendMs`), doubled for each resend already made, at most `ceilingMs`. A device behind a
   * queue that grows gets fewer resends, not a duplicate of everything queued.
   */
  resendAfter(tries: number, floorMs: number, ceilingMs: number): number {
    const rto = this.srtt === undefined ? floorMs : Math.max(floorMs, this.srtt + 4 * this.rttvar);
    return Math.min(ceilingMs, rto * 2 ** tries);
  }

  #sample(rtt: number): void {
    if (this.srtt === undefined) {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
      return;
    }
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rtt);
    this.srtt = 0.875 * this.srtt + 0.125 * rtt;
  }
}
