/** What every WeChat callback result carries: `"<api>:ok"` or `"<api>:fail <reason>"`. */
export interface WxResult {
  errMsg: string;
}

export interface WxCallbacks<R extends WxResult = WxResult> {
  success?: (result: R) => void;
  fail?: (result: WxResult) => void;
  complete?: (result: R | WxResult) => void;
}

/** A failure whose message is the text after `<api>:fail `. */
export class WxFailure extends Error {}

/** Runs `fn` in a later macrotask, as WeChat delivers callbacks (never inside the caller's call). */
export const later = (fn: () => void): void => {
  setImmediate(fn);
};

function reason(error: unknown): string {
  if (error instanceof WxFailure) return error.message;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? error.cause.message : '';
    return cause || error.message;
  }
  return String(error);
}

/**
 * Runs one asynchronous WeChat API: `success` then `complete`, or `fail` then `complete`, each in a
 * later macrotask. Also returns a promise of the result (rejecting with `{errMsg}`) so tests can
 * `await wx.login()`; it is marked handled, so callback-style callers that ignore it are safe.
 * A callback that throws surfaces as an uncaught exception, which fails the test that caused it.
 */
export function callApi<R extends WxResult>(
  api: string,
  options: WxCallbacks<R> | undefined,
  run: () => Promise<Omit<R, 'errMsg'>>,
): Promise<R> {
  const settled = (async () => {
    try {
      return { ok: true as const, result: { ...(await run()), errMsg: `${api}:ok` } as R };
    } catch (error) {
      return { ok: false as const, result: { errMsg: `${api}:fail ${reason(error)}` } };
    }
  })();
  const promise = settled.then(
    (outcome) =>
      new Promise<R>((resolve, reject) => {
        later(() => {
          if (outcome.ok) {
            resolve(outcome.result);
            options?.success?.(outcome.result);
          } else {
            reject(outcome.result);
            options?.fail?.(outcome.result);
          }
          options?.complete?.(outcome.result);
        });
      }),
  );
  promise.catch(() => {});
  return promise;
}
