import { createRequire } from 'node:module';
import { createWx, type SimWx } from '@hutong/wechat-sim';
import { type DevStack, type DevStackOptions, devApp, startDevStack } from '../src/stack.js';

export const require = createRequire(import.meta.url);

/**
 * A dev stack on port 0 with an in-memory store, no per-address login limit and no generated admin
 * token (a test that wants the dashboard sets HUTONG_ADMIN_TOKEN). `setup` adds routes before it
 * listens (see DevStackOptions).
 */
export async function startTestStack(
  env: Record<string, string> = {},
  setup?: DevStackOptions['setup'],
): Promise<DevStack> {
  return startDevStack({
    ...(setup ? { setup } : {}),
    generateAdminToken: false,
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      HUTONG_STORE: 'sqlite',
      HUTONG_STORE_URL: ':memory:',
      HUTONG_LOGIN_RATE_PER_IP: '0',
      HUTONG_LOG_LEVEL: 'silent',
      ...env,
    },
  });
}

let current: SimWx | undefined;
/** Global socket listeners registered through the proxy, replayed onto every new phone. */
const socketListeners: [string, unknown][] = [];

/**
 * The global `wx` the official SDKs see: a stable object forwarding to the current phone, because
 * some SDK modules bind `wx.onSocket*` once, when they are first required.
 */
export const globalWx = new Proxy({} as SimWx, {
  get: (_target, key) => {
    if (typeof key === 'string' && key.startsWith('onSocket')) {
      return (listener: unknown) => {
        socketListeners.push([key, listener]);
        (current as unknown as Record<string, (l: unknown) => void> | undefined)?.[key]?.(listener);
      };
    }
    if (!current) throw new Error('no phone installed: call installWx first');
    const value = (current as unknown as Record<PropertyKey, unknown>)[key];
    return typeof value === 'function' ? value.bind(current) : value;
  },
});
(globalThis as { wx?: unknown }).wx = globalWx;

/** A phone: the simulator's `wx`, made the current one behind the global the official SDKs call. */
export function installWx(stack: DevStack, options: { openid?: string; nickName?: string } = {}): SimWx {
  const wx = createWx({
    baseUrl: `${stack.url}/__wx`,
    appid: devApp.appid,
    ...(options.openid ? { openid: options.openid } : {}),
    userInfo: { nickName: options.nickName ?? '测试用户', avatarUrl: 'https://example.com/a.png' },
  });
  for (const [method, listener] of socketListeners) {
    (wx as unknown as Record<string, (l: unknown) => void>)[method]?.(listener);
  }
  current = wx;
  return wx;
}

/** Calls a callback-style SDK function and resolves with what `success` or `fail` got. */
export function call<T = unknown>(
  fn: (options: Record<string, unknown>) => unknown,
  options: Record<string, unknown> = {},
) {
  return new Promise<{ ok: true; value: T } | { ok: false; error: any }>((resolve) => {
    fn({
      ...options,
      success: (value: T) => resolve({ ok: true, value }),
      fail: (error: unknown) => resolve({ ok: false, error }),
    });
  });
}

/** The shared `until(check, what, ms = 3000)`, for the tests that use this fixture. */
export { until } from '@hutong/core/testing';

/** A call to the dev stack's simulator device API (`/__wx/sim/<path>`), as a phone makes it. */
export async function simDevice(
  stack: DevStack,
  path: string,
  body: object,
): Promise<Record<string, string>> {
  const response = await fetch(`${stack.url}/__wx/sim/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, string>;
}
