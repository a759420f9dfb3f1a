/**
 * Counts calls per key in fixed one-minute windows (the unit of WeChat's "minute-quota").
 * `take` answers false once a key has used `limit` calls in its current window.
 */
export class MinuteQuota {
  readonly #now: () => number;
  readonly #limit: number;
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(limit: number, now: () => number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    this.#limit = limit;
    this.#now = now;
  }

  take(key: string): boolean {
    const now = this.#now();
    let window = this.#windows.get(key);
    if (!window || now - window.start >= 60_000) {
      if (this.#windows.size >= 10_000) this.#prune(now);
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
    }
    if (window.count >= this.#limit) return false;
    window.count += 1;
    return true;
  }

  #prune(now: number): void {
    for (const [key, window] of this.#windows) {
      if (now - window.start >= 60_000) this.#windows.delete(key);
    }
  }
}
