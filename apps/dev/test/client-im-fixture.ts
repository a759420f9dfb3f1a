import { type BoundClient, createClient, ImClient, type ImEvents, type ImOptions } from '@hutong/client/core';
import { createWxPlatform, type WxLike } from '@hutong/client/wx';
import { createWx, type MemoryStorage, type SimWx } from '@hutong/wechat-sim';
import type { DevStack } from '../src/stack.js';
import { devApp } from '../src/stack.js';

export const imUrl = (stack: DevStack) => `${stack.url.replace(/^http/, 'ws')}/im`;

/** Fast reconnects for tests. */
export const fast = { reconnectDelayMs: 30, maxReconnectDelayMs: 200 } satisfies Partial<ImOptions>;

/**
 * A phone running an app with @hutong/client's IM: the simulator's `wx`, a logged-in client, and
 * an ImClient (not yet connected). `storage` reuses a phone's storage: the same app restarted.
 */
export async function imPhone(
  stack: DevStack,
  options: Partial<ImOptions> & { storage?: MemoryStorage; login?: boolean } = {},
): Promise<{ wx: SimWx; client: BoundClient; im: ImClient; id: string }> {
  const { storage, login = true, ...imOptions } = options;
  const wx = createWx({
    baseUrl: `${stack.url}/__wx`,
    appid: devApp.appid,
    ...(storage ? { storage } : {}),
    userInfo: { nickName: 'IM', avatarUrl: 'https://example.com/a.png' },
  });
  const client = createClient({
    platform: createWxPlatform(wx as unknown as WxLike),
    loginUrl: `${stack.url}/weapp/login`,
  });
  if (login) await client.login();
  const id = String(client.session.get()?.userInfo?.['openId'] ?? '');
  const im = new ImClient(client, { url: imUrl(stack), ...fast, ...imOptions });
  return { wx, client, im, id };
}

/** Everything an ImClient reports of one kind, in order. */
export function collect<K extends keyof ImEvents & string>(im: ImClient, event: K): ImEvents[K][] {
  const seen: ImEvents[K][] = [];
  im.on(event, (payload) => seen.push(payload));
  return seen;
}

/**
 * A `wx` whose sockets never pass on the server's ACKs (type 4): the server accepts and delivers
 * what this phone sends, but the phone never learns it.
 */
export function dropAcks(wx: SimWx): void {
  const connect = wx.connectSocket.bind(wx);
  wx.connectSocket = ((options: Parameters<SimWx['connectSocket']>[0]) => {
    const task = connect(options);
    const onMessage = task.onMessage.bind(task);
    task.onMessage = (listener) =>
      onMessage((result) => {
        if (typeof result.data === 'string' && JSON.parse(result.data).type === 4) return;
        listener(result);
      });
    return task;
  }) as SimWx['connectSocket'];
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
