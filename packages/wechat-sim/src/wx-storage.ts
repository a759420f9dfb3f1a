import { WxFailure } from './wx-callbacks.js';

/** WeChat's storage limits (research B4): per key and per app, in bytes of key + JSON value. */
export const STORAGE_KEY_LIMIT = 1024 * 1024;
export const STORAGE_TOTAL_LIMIT = 10 * 1024 * 1024;

const size = (key: string, json: string): number => Buffer.byteLength(key) + Buffer.byteLength(json);

/**
 * A mini program's local storage, in memory. Values are kept as JSON text, so every read is a
 * fresh deep copy, as on WeChat. Share one instance between `createWx` calls to simulate an app
 * restarting with its storage intact.
 */
export class MemoryStorage {
  readonly #items = new Map<string, string>();
  #bytes = 0;

  /** Throws WxFailure (the text after `:fail `) on a bad key or a full store. */
  set(key: unknown, data: unknown): void {
    const name = checkKey(key);
    const json = JSON.stringify(data);
    if (json === undefined) {
      this.remove(name);
      return;
    }
    const bytes = size(name, json);
    if (bytes > STORAGE_KEY_LIMIT) throw new WxFailure('entry size limit reached');
    const old = this.#items.get(name);
    const freed = old === undefined ? 0 : size(name, old);
    if (this.#bytes - freed + bytes > STORAGE_TOTAL_LIMIT)
      throw new WxFailure('exceed storage max size 10Mb');
    this.#items.set(name, json);
    this.#bytes += bytes - freed;
  }

  /** The stored value (a deep copy), or `found: false`. */
  get(key: unknown): { found: boolean; value: unknown } {
    const json = this.#items.get(checkKey(key));
    return json === undefined ? { found: false, value: undefined } : { found: true, value: JSON.parse(json) };
  }

  remove(key: unknown): void {
    const name = checkKey(key);
    const old = this.#items.get(name);
    if (old === undefined) return;
    this.#bytes -= size(name, old);
    this.#items.delete(name);
  }

  clear(): void {
    this.#items.clear();
    this.#bytes = 0;
  }

  /** As `wx.getStorageInfoSync`: sizes in KB. */
  info(): { keys: string[]; currentSize: number; limitSize: number } {
    return {
      keys: [...this.#items.keys()],
      currentSize: Math.ceil(this.#bytes / 1024),
      limitSize: STORAGE_TOTAL_LIMIT / 1024,
    };
  }
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string') {
    throw new WxFailure(`parameter error: parameter.key should be String instead of ${typeName(key)};`);
  }
  return key;
}

const typeName = (value: unknown): string =>
  value === null ? 'Null' : value === undefined ? 'Undefined' : (value.constructor?.name ?? typeof value);
