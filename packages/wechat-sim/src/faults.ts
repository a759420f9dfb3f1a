/** The platform APIs a fault can be injected into, named by their last path segment. */
export const faultApis = [
  'jscode2session',
  'token',
  'stable_token',
  'getuserphonenumber',
  'checksession',
  'resetusersessionkey',
] as const;
export type FaultApi = (typeof faultApis)[number];

/**
 * Errcodes to answer instead of the real result, for the next calls of an API: how a test makes
 * WeChat "busy" (-1) or blocked (40226) without waiting for it to happen. First in, first out.
 */
export class Faults {
  readonly #queued = new Map<FaultApi, number[]>();

  /** The next `times` calls of `api` answer `errcode`. */
  inject(api: FaultApi, errcode: number, times = 1): void {
    const queue = this.#queued.get(api) ?? [];
    for (let i = 0; i < times; i += 1) queue.push(errcode);
    this.#queued.set(api, queue);
  }

  /** The errcode the current call must answer, if one is queued. */
  take(api: FaultApi): number | undefined {
    return this.#queued.get(api)?.shift();
  }

  clear(): void {
    this.#queued.clear();
  }
}
