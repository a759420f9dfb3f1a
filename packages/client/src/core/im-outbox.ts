import { ImError, imErrorTypes } from './im-errors.js';
import type { ImOutgoing, ImSent } from './im-types.js';
import { isRecord } from './im-wire.js';
import type { Platform } from './platform.js';

/** A queued message and its transmission bookkeeping (`sentOn`, `lastSentAt`: this run only). */
export interface OutboxEntry extends ImOutgoing {
  queuedAt: number;
  /** First transmission ever (kept across restarts): `lostAfterMs` counts from here. */
  firstSentAt?: number;
  /** The login it was last written on, and when. */
  sentOn?: number | undefined;
  lastSentAt?: number | undefined;
}

interface Waiter {
  resolve: (sent: ImSent) => void;
  reject: (error: Error) => void;
}

/** Where a user's outbox is kept: one key per user, beside the session. */
export const outboxKey = (userId: string) => `hutong_im_outbox:${userId}`;

/**
 * Messages the server has not acknowledged, in send order, persisted per user so a restarted
 * app sends them again with the same fp (the server de-duplicates by sender and fp). Until the
 * user is known (`bind`) they are held in memory only. One client per user and storage.
 */
export class ImOutbox {
  readonly #entries = new Map<string, OutboxEntry>();
  readonly #waiters = new Map<string, Waiter>();
  readonly #platform: Platform;
  readonly #max: number;
  #key: string | undefined;
  #persistTimer: unknown;

  constructor(platform: Platform, max: number) {
    this.#platform = platform;
    this.#max = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  entries(): IterableIterator<OutboxEntry> {
    return this.#entries.values();
  }

  /** Loads the user's stored outbox ahead of what was queued before the user was known. */
  bind(userId: string): void {
    this.#key = outboxKey(userId);
    const queued = [...this.#entries.values()];
    this.#entries.clear();
    let stored: unknown;
    try {
      stored = this.#platform.storage.get(this.#key);
    } catch {}
    for (const entry of Array.isArray(stored) ? stored : []) {
      const restored = restore(entry);
      if (restored) this.#entries.set(restored.fp, restored);
    }
    for (const entry of queued) if (!this.#entries.has(entry.fp)) this.#entries.set(entry.fp, entry);
    if (queued.length > 0) this.persist();
  }

  /** Queues a message; the promise settles when the server accepts it, or it is given up. */
  add(message: ImOutgoing): Promise<ImSent> {
    if (this.#entries.has(message.fp)) {
      return Promise.reject(new ImError(imErrorTypes.invalidParams, `fp ${message.fp} is queued already`));
    }
    if (this.#entries.size >= this.#max) {
      return Promise.reject(new ImError(imErrorTypes.queueFull, `${this.#max} messages are waiting already`));
    }
    const promise = new Promise<ImSent>((resolve, reject) =>
      this.#waiters.set(message.fp, { resolve, reject }),
    );
    this.#entries.set(message.fp, { ...message, queuedAt: Date.now() });
    this.persist();
    return promise;
  }

  /** The server's ACK: removes the entry (if ours) and resolves its promise. */
  accept(sent: ImSent): OutboxEntry | undefined {
    const entry = this.#entries.get(sent.fp);
    if (!entry) return undefined;
    this.#entries.delete(sent.fp);
    this.#waiters.get(sent.fp)?.resolve(sent);
    this.#waiters.delete(sent.fp);
    this.changed();
    return entry;
  }

  /** Gives messages up: removed, promises rejected. */
  fail(fps: readonly string[], error: ImError): OutboxEntry[] {
    const failed: OutboxEntry[] = [];
    for (const fp of fps) {
      const entry = this.#entries.get(fp);
      if (!entry) continue;
      failed.push(entry);
      this.#entries.delete(fp);
      this.#waiters.get(fp)?.reject(error);
      this.#waiters.delete(fp);
    }
    if (failed.length > 0) this.persist();
    return failed;
  }

  /** The client stops: promises reject, the stored outbox stays for the next connect. */
  release(error: ImError): void {
    if (this.#persistTimer !== undefined) this.persist(); // only a pending change: never write back stale state

    for (const waiter of this.#waiters.values()) waiter.reject(error);
    this.#waiters.clear();
    this.#entries.clear();
    this.#key = undefined;
  }

  /** Bookkeeping changed (an ACK, a first transmission): written soon, in one go. */
  changed(): void {
    if (this.#persistTimer !== undefined || !this.#key) return;
    this.#persistTimer = this.#platform.setTimeout(() => this.persist(), 50);
  }

  persist(): void {
    this.#platform.clearTimeout(this.#persistTimer);
    this.#persistTimer = undefined;
    if (!this.#key) return;
    const stored = [...this.#entries.values()].map(({ fp, to, content, typeu, queuedAt, firstSentAt }) =>
      firstSentAt === undefined
        ? { fp, to, content, typeu, queuedAt }
        : { fp, to, content, typeu, queuedAt, firstSentAt },
    );
    try {
      if (stored.length === 0) this.#platform.storage.remove(this.#key);
      else this.#platform.storage.set(this.#key, stored);
    } catch {
      // Storage full or gone: the messages are still sent from memory, only a restart loses them.
    }
  }
}

/** An entry read back from storage, or undefined when it is not one (storage is app-writable). */
function restore(value: unknown): OutboxEntry | undefined {
  if (!isRecord(value)) return undefined;
  const { fp, to, content, typeu, queuedAt, firstSentAt } = value;
  if (typeof fp !== 'string' || !fp || typeof to !== 'string' || typeof content !== 'string')
    return undefined;
  return {
    fp,
    to,
    content,
    typeu: typeof typeu === 'number' ? typeu : -1,
    queuedAt: typeof queuedAt === 'number' ? queuedAt : Date.now(),
    ...(typeof firstSentAt === 'number' ? { firstSentAt } : {}),
  };
}
