import type { Platform, PlatformStorage } from '../core/platform.js';
import { type FetchLike, fetchRequest } from './fetch-request.js';
import { type SimulatorOptions, simulatorDevice } from './simulator-login.js';
import { adaptWebSocket, type WebSocketLike } from './websocket.js';

export interface BrowserPlatformOptions {
  /**
   * Where login codes come from: a function, or the WeChat simulator's base URL (development).
   * A web page has no `wx.login`; production web logins supply their own code source.
   */
  login: (() => Promise<string>) | SimulatorOptions;
  /** Default: `localStorage` (an in-memory map when it is unavailable). */
  storage?: PlatformStorage;
}

/** Browser host: fetch, WebSocket, localStorage, page visibility and online/offline. */
export function createBrowserPlatform(options: BrowserPlatformOptions): Platform {
  const storage = options.storage ?? localStorageOr();
  const fetchFn = fetch.bind(globalThis) as unknown as FetchLike;
  const timers = {
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (handle: unknown) => clearTimeout(handle as number),
  };
  const listen = (target: EventTarget, event: string, fn: () => void) => {
    target.addEventListener(event, fn);
    return () => target.removeEventListener(event, fn);
  };
  const onVisibility = (wanted: 'hidden' | 'visible') => (listener: () => void) =>
    listen(document, 'visibilitychange', () => {
      if (document.visibilityState === wanted) listener();
    });
  return {
    request: fetchRequest(fetchFn, () => new AbortController(), timers),
    connect: (url) => adaptWebSocket(new WebSocket(url) as unknown as WebSocketLike),
    storage,
    ...(typeof options.login === 'function'
      ? { login: options.login }
      : simulatorDevice(fetchFn, storage, options.login)),
    onAppHide: onVisibility('hidden'),
    onAppShow: onVisibility('visible'),
    onNetworkChange: (listener) => {
      const offOnline = listen(window, 'online', () => listener(true));
      const offOffline = listen(window, 'offline', () => listener(false));
      return () => {
        offOnline();
        offOffline();
      };
    },
    ...timers,
  };
}

function localStorageOr(): PlatformStorage {
  const memory = new Map<string, string>();
  let store: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  try {
    store = window.localStorage;
    store.getItem('');
  } catch {
    store = {
      getItem: (key) => memory.get(key) ?? null,
      setItem: (key, value) => void memory.set(key, value),
      removeItem: (key) => void memory.delete(key),
    };
  }
  return {
    get: (key) => {
      const text = store.getItem(key);
      if (text === null) return undefined;
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    },
    set: (key, value) => store.setItem(key, JSON.stringify(value)),
    remove: (key) => store.removeItem(key),
  };
}
