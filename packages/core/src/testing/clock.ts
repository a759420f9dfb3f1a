/**
 * An injectable clock, for code that takes `now?: () => number` (epoch ms), such as the server's
 * AuthService and RateLimiter. Pass `clock.now`: it is bound, so it can be handed over on its own.
 */

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** The real time (`Date.now()`). */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told: `advance(ms)` or `set(ms)`. Starts at `start` (default now). */
export class ManualClock implements Clock {
  #ms: number;

  constructor(start: number = Date.now()) {
    this.#ms = start;
  }

  /** The current time, epoch ms; bound to this clock. */
  readonly now = (): number => this.#ms;

  /** Moves the clock forward by `ms` (negative moves it back) and returns the new time. */
  advance(ms: number): number {
    this.#ms += ms;
    return this.#ms;
  }

  /** Sets the clock to `ms`. */
  set(ms: number): void {
    this.#ms = ms;
  }
}
