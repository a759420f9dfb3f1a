/** Wafer-style callbacks; when any is given the call returns nothing, as `wx` APIs do. */
export interface Callbacks<T> {
  success?: (result: T) => void;
  fail?: (error: Error) => void;
  complete?: (resultOrError: T | Error) => void;
}

/** A promise, or — when callbacks are given — nothing, with the outcome passed to them. */
export function settle<T>(promise: Promise<T>, callbacks: Callbacks<T>): Promise<T> | undefined {
  const { success, fail, complete } = callbacks;
  if (!success && !fail && !complete) return promise;
  promise.then(
    (value) => {
      success?.(value);
      complete?.(value);
    },
    (error: Error) => {
      fail?.(error);
      complete?.(error);
    },
  );
  return undefined;
}
