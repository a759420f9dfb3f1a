/**
 * The messages recently sent on one recoverable tunnel, numbered 1, 2, 3… in send order. A client
 * that counts the `message:` frames it received can ask, after a reconnect, for everything after
 * its count: frames stay identical for every recipient (no offset inside), so a broadcast is still
 * encoded once.
 *
 * Entries older than `retentionMs`, or beyond `maxEntries`, are dropped; asking for a range that
 * starts before what is kept answers null (the client must start over with a new tunnel).
 */
export class RecoveryLog<F> {
  #entries: { offset: number; frame: F; at: number }[] = [];
  #last = 0;

  constructor(
    private readonly retentionMs: number,
    private readonly maxEntries: number,
  ) {}

  /** Offset of the last message sent. */
  get last(): number {
    return this.#last;
  }

  append(frame: F, now: number): number {
    this.#last += 1;
    this.#entries.push({ offset: this.#last, frame, at: now });
    this.prune(now);
    return this.#last;
  }

  /** The frames after `offset`, in order; null when some of them are no longer kept. */
  since(offset: number, now: number): F[] | null {
    this.prune(now);
    if (!Number.isInteger(offset) || offset < 0 || offset > this.#last) return null;
    if (offset === this.#last) return [];
    const first = this.#entries[0];
    if (!first || first.offset > offset + 1) return null;
    return this.#entries.filter((e) => e.offset > offset).map((e) => e.frame);
  }

  prune(now: number): void {
    const oldest = now - this.retentionMs;
    let drop = 0;
    while (
      drop < this.#entries.length &&
      (this.#entries[drop]!.at < oldest || this.#entries.length - drop > this.maxEntries)
    ) {
      drop += 1;
    }
    if (drop > 0) this.#entries = this.#entries.slice(drop);
  }
}
