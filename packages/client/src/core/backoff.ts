/** Exponential backoff with jitter: base·2^(n-1) for the n-th try, capped, scaled by a random 0.5–1. */
export function backoffDelay(n: number, baseMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** (n - 1));
  return Math.round(ceiling * (0.5 + Math.random() / 2));
}
