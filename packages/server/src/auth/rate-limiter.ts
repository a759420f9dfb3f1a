import { HutongError } from '@hutong/protocol';

export interface RateLimit {
  /** Events allowed per window; 0 disables the limit. */
  limit: number;
  windowMs: number;
}

/**
 * Fixed-window counters per key, in memory (per node). The map is bounded: when it holds
 * `maxKeys` live windows, the oldest are dropped first, so a flood of addresses costs bounded memory.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly rule: RateLimit,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts one event for `key`; throws ERR_RATE_LIMITED when over the limit. */
  hit(key: string): void {
    if (this.rule.limit <= 0) return;
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.rule.windowMs) {
      this.windows.delete(key);
      if (this.windows.size >= this.maxKeys) this.evict(now);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count += 1;
    if (window.count > this.rule.limit) {
      const retryAfterMs = window.start + this.rule.windowMs - now;
      throw new HutongError('ERR_RATE_LIMITED', 'Too many login attempts, try again later', {
        details: { retryAfterMs },
      });
    }
  }

  private evict(now: number): void {
    for (const [key, window] of this.windows) {
      if (now - window.start >= this.rule.windowMs || this.windows.size >= this.maxKeys)
        this.windows.delete(key);
      else break;
    }
  }
}
