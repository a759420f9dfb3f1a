import type { Platform, PlatformStorage } from '../core/platform.js';
import { type FetchLike, fetchRequest } from './fetch-request.js';
import { type SimulatorOptions, simulatorDevice } from './simulator-login.js';
import { adaptWebSocket, type WebSocketConstructor } from './websocket.js';

export interface NodePlatformOptions {
  /** Where login codes come from: a function, or the WeChat simulator's base URL. */
  login: (() => Promise<string>) | SimulatorOptions;
  /** A WHATWG WebSocket class: `ws`'s default export on Node 20, the global one on Node 22+. */
  WebSocket?: WebSocketConstructor;
  /** Default: in memory (one platform, one user). */
  storage?: PlatformStorage;
}

/** Node host, for tests, scripts and servers acting as a client. */
export function createNodePlatform(options: NodePlatformOptions): Platform & { storage: PlatformStorage } {
  const memory = new Map<string, string>();
  const storage: PlatformStorage = options.storage ?? {
    get: (key) => {
      const text = memory.get(key);
      return text === undefined ? undefined : JSON.parse(text);
    },
    set: (key, value) => void memory.set(key, JSON.stringify(value)),
    remove: (key) => void memory.delete(key),
  };
  const Socket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  const fetchFn = fetch as unknown as FetchLike;
  const timers = {
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
  return {
    request: fetchRequest(fetchFn, () => new AbortController(), timers),
    connect: (url) => {
      if (!Socket) throw new Error('no WebSocket class: pass `WebSocket` (e.g. from the ws package)');
      return adaptWebSocket(new Socket(url));
    },
    storage,
    ...(typeof options.login === 'function'
      ? { login: options.login }
      : simulatorDevice(fetchFn, storage, options.login)),
    ...timers,
  };
}
