/**
 * Dependencies unreachable at start (the database, Redis) are waited for, not fatal: each attempt
 * that fails is logged with the dependency's name and the error, and retried with exponential
 * backoff until `timeoutMs`; then start-up fails with an error that says what could not be reached.
 */
import type { Logger } from 'pino';

export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(
    readonly dependency: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`${dependency} unreachable: ${reason}`, options);
  }
}

const reasonOf = (error: unknown): string =>
  String((error as { cause?: { message?: unknown } })?.cause?.message ?? (error as Error)?.message ?? error);

/** `attempt()` until it resolves; it should clean up after itself when it fails. */
export async function untilReachable<T>(
  dependency: string,
  attempt: () => Promise<T>,
  options: { logger: Logger; timeoutMs: number; firstDelayMs?: number; maxDelayMs?: number },
): Promise<T> {
  const started = Date.now();
  for (let tries = 1; ; tries += 1) {
    try {
      const value = await attempt();
      if (tries > 1) options.logger.info({ dependency, tries }, `${dependency} reachable`);
      return value;
    } catch (error) {
      const left = options.timeoutMs - (Date.now() - started);
      if (left <= 0) throw new StartupError(dependency, reasonOf(error), { cause: error });
      const delay = Math.min(
        left,
        options.maxDelayMs ?? 5000,
        (options.firstDelayMs ?? 250) * 2 ** (tries - 1),
      );
      options.logger.warn(
        { dependency, tries, retryInMs: delay, reason: reasonOf(error) },
        `${dependency} unreachable; retrying`,
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
