/**
 * A client platform whose one socket a test drives by hand: `receive(text)` delivers a frame,
 * `sent` is what the client wrote. Timers are real, or, with `handTimers`, fired by the test
 * (`fire(ms)` runs the timers set for `ms`). HTTP answers with `request` (default: fails).
 */
import type { Platform, PlatformSocket } from '../src/core/index.js';

export function handPlatform(options: { request?: Platform['request']; handTimers?: boolean } = {}) {
  const sent: string[] = [];
  let listeners: { open?: () => void; message?: (data: string) => void } = {};
  const timers = new Map<number, { fn: () => void; ms: number }>();
  let timerId = 0;
  const storage = new Map<string, unknown>();
  const handTimers: Pick<Platform, 'setTimeout' | 'clearTimeout'> = {
    setTimeout: (fn, ms) => {
      timerId += 1;
      timers.set(timerId, { fn, ms });
      return timerId;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
  };
  const realTimers: Pick<Platform, 'setTimeout' | 'clearTimeout'> = {
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
  const platform: Platform = {
    request:
      options.request ??
      (async () => {
        throw new Error('no HTTP here');
      }),
    connect: (): PlatformSocket => {
      listeners = {};
      queueMicrotask(() => listeners.open?.());
      return {
        send: (text) => void sent.push(text),
        close: () => {},
        onOpen: (fn) => {
          listeners.open = fn;
        },
        onMessage: (fn) => {
          listeners.message = fn as (data: string) => void;
        },
        onClose: () => {},
        onError: () => {},
      };
    },
    storage: {
      get: (key) => storage.get(key),
      set: (key, value) => void storage.set(key, value),
      remove: (key) => void storage.delete(key),
    },
    login: async () => 'code',
    ...(options.handTimers ? handTimers : realTimers),
  };
  return {
    platform,
    sent,
    receive: (text: string) => listeners.message?.(text),
    /** Fires the timers set for `ms` (with `handTimers`). */
    fire(ms: number) {
      for (const [id, timer] of [...timers]) {
        if (timer.ms !== ms) continue;
        timers.delete(id);
        timer.fn();
      }
    },
  };
}
