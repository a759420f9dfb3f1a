import { ImError, imErrorTypes } from './im-errors.js';
import type { ImOutbox, OutboxEntry } from './im-outbox.js';
import type { Platform } from './platform.js';

export interface SenderOptions {
  resendAfterMs: number;
  lostAfterMs: number;
  maxSendRate: number;
}

export interface SenderHooks {
  /** Writes a data frame on the logged-in link; false when there is none. */
  transmit(entry: OutboxEntry): boolean;
  lost(entries: OutboxEntry[]): void;
}

/**
 * Writes the outbox to the link, in order, paced under the server's rate limit. Each login sends
 * every unacknowledged message again (same fp); while online, one without an ACK after
 * `resendAfterMs` is sent again, and one still unaccepted `lostAfterMs` after its first
 * transmission — and after a fair try on the current login — is given up. Nothing is lost for
 * merely waiting offline.
 *
 * Order: the server handles a connection's frames one by one, so messages are accepted in send
 * order unless it refuses one (rate, store) and accepts later ones; pacing avoids the first.
 */
export class ImSender {
  readonly #stats: { sent: number; resent: number };
  readonly #platform: Platform;
  readonly #outbox: ImOutbox;
  readonly #options: SenderOptions;
  readonly #hooks: SenderHooks;
  /** Bumped at each login: entries not yet written on this login are sent again. */
  #login = 0;
  #online = false;
  /** Transmission times in the last second, and a pause after the server said "too fast". */
  #recent: number[] = [];
  #pausedUntil = 0;
  #flushTimer: unknown;
  #tickTimer: unknown;

  constructor(
    platform: Platform,
    outbox: ImOutbox,
    options: SenderOptions,
    hooks: SenderHooks,
    stats: { sent: number; resent: number },
  ) {
    this.#stats = stats;
    this.#platform = platform;
    this.#outbox = outbox;
    this.#options = options;
    this.#hooks = hooks;
  }

  /** Logged in: everything unacknowledged goes out again, in order. */
  online(): void {
    this.#login += 1;
    this.#online = true;
    this.#tick();
  }

  offline(): void {
    this.#online = false;
    const { clearTimeout } = this.#platform;
    clearTimeout(this.#flushTimer);
    clearTimeout(this.#tickTimer);
    this.#flushTimer = undefined;
    this.#tickTimer = undefined;
  }

  /**
   * The server refused frames for their rate (1429) or because it is behind (1504): wait `ms` (a
   * second, or what the server asked, at most 30 s), then resend what it has not acknowledged.
   */
  throttle(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + Math.min(ms, 30_000));
    for (const entry of this.#outbox.entries()) if (entry.sentOn === this.#login) entry.sentOn = undefined;
    this.flush();
  }

  /** Writes every entry not yet written on this login, as fast as the rate allows. */
  flush(): void {
    if (!this.#online || this.#flushTimer !== undefined) return;
    for (const entry of this.#outbox.entries()) {
      if (entry.sentOn === this.#login) continue;
      const now = Date.now();
      const wait = this.#wait(now);
      if (wait > 0) {
        this.#flushTimer = this.#platform.setTimeout(() => {
          this.#flushTimer = undefined;
          this.flush();
        }, wait);
        return;
      }
      if (!this.#hooks.transmit(entry)) return;
      this.#recent.push(now);
      if (entry.lastSentAt === undefined && entry.firstSentAt === undefined) this.#stats.sent += 1;
      else this.#stats.resent += 1;
      entry.sentOn = this.#login;
      entry.lastSentAt = now;
      if (entry.firstSentAt === undefined) {
        entry.firstSentAt = now;
        this.#outbox.changed();
      }
    }
  }

  /** Milliseconds until one more frame fits in the rate (a sliding second). */
  #wait(now: number): number {
    if (now < this.#pausedUntil) return this.#pausedUntil - now;
    while (this.#recent.length > 0 && (this.#recent[0] ?? 0) <= now - 1000) this.#recent.shift();
    if (this.#recent.length < this.#options.maxSendRate) return 0;
    return (this.#recent[0] ?? now) + 1000 - now + 1;
  }

  /** Once a second while online: resend what waits too long for its ACK, give up the hopeless. */
  #tick(): void {
    this.#platform.clearTimeout(this.#tickTimer);
    const now = Date.now();
    const lost: OutboxEntry[] = [];
    for (const entry of this.#outbox.entries()) {
      if (entry.sentOn !== this.#login || now - (entry.lastSentAt ?? now) < this.#options.resendAfterMs)
        continue;
      if (now - (entry.firstSentAt ?? now) >= this.#options.lostAfterMs) lost.push(entry);
      else entry.sentOn = undefined;
    }
    if (lost.length > 0) {
      const error = new ImError(imErrorTypes.lost, 'the server did not accept the message in time');
      this.#hooks.lost(
        this.#outbox.fail(
          lost.map((entry) => entry.fp),
          error,
        ),
      );
    }
    this.flush();
    this.#tickTimer = this.#platform.setTimeout(
      () => this.#tick(),
      Math.min(1000, this.#options.resendAfterMs),
    );
  }
}
