/**
 * Waiting in tests: the one place that polls. `until` waits for a condition, `eventually` for code
 * (typically assertions) to stop throwing. Both poll every `intervalMs` and give up after
 * `timeoutMs`: the timeout is a bound on how long something may take, never a pause to let it
 * happen.
 */

export interface UntilOptions {
  /** What is awaited, for the error on timeout. Default `'condition'`. */
  what?: string;
  /** The longest wait, ms. Default 3000. */
  timeoutMs?: number;
  /** Pause between two checks, ms. Default 10. */
  intervalMs?: number;
}

const DEFAULT_TIMEOUT_MS = 3000;
const DEFAULT_INTERVAL_MS = 10;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Resolves once `check()` returns (or resolves to) something truthy; checks at once, then every
 * `intervalMs`, a last time at the deadline. Rejects with `timed out after N ms waiting for <what>`
 * when the deadline passes first, and at once if `check` throws. Call it as
 * `until(check, 'what', timeoutMs)` or `until(check, { what, timeoutMs, intervalMs })`.
 */
export function until(check: () => unknown, options?: UntilOptions): Promise<void>;
export function until(check: () => unknown, what: string, timeoutMs?: number): Promise<void>;
export async function until(
  check: () => unknown,
  whatOrOptions: string | UntilOptions = {},
  timeoutMs?: number,
): Promise<void> {
  const options: UntilOptions =
    typeof whatOrOptions === 'string'
      ? { what: whatOrOptions, ...(timeoutMs === undefined ? {} : { timeoutMs }) }
      : whatOrOptions;
  const bound = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const interval = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const started = performance.now();
  for (;;) {
    if (await check()) return;
    const waited = performance.now() - started;
    if (waited >= bound) {
      throw new Error(`timed out after ${Math.round(waited)} ms waiting for ${options.what ?? 'condition'}`);
    }
    await pause(Math.min(interval, bound - waited));
  }
}

export interface EventuallyOptions {
  /** The longest time to keep retrying, ms. Default 3000. */
  timeoutMs?: number;
  /** Pause between two attempts, ms. Default 10. */
  intervalMs?: number;
}

/**
 * Calls `fn` until it returns without throwing (or its promise resolves), and resolves to its value.
 * Retries every `intervalMs`; once `timeoutMs` has passed, rejects with the last error `fn` threw,
 * so a failing assertion inside `fn` is reported as it is.
 */
export async function eventually<T>(fn: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<T> {
  const bound = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const interval = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const started = performance.now();
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      const waited = performance.now() - started;
      if (waited >= bound) throw error;
      await pause(Math.min(interval, bound - waited));
    }
  }
}
