import { type BoundClient, ImClient, type ImEvents, type ImOptions } from '@hutong/client/core';
import type { MemoryStorage, SimWx } from '@hutong/wechat-sim';
import type { DevStack } from '../src/stack.js';
import { phone } from './client-fixture.js';

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
  const { wx, client } = phone(stack, 'IM', storage);
  if (login) await client.login();
  const id = String(client.session.get()?.userInfo?.['openId'] ?? '');
  const im = new ImClient(client, { url: imUrl(stack), ...fast, ...imOptions });
  return { wx, client, im, id };
}

/**
 * Phones on the stack `stack()` returns (it is made in a `before` hook), every ImClient closed by
 * `closeAll()`, for an `after` hook.
 */
export function imPhones(stack: () => DevStack) {
  const open: ImClient[] = [];
  return {
    phone: async (options: Parameters<typeof imPhone>[1] = {}) => {
      const p = await imPhone(stack(), options);
      open.push(p.im);
      return p;
    },
    /** ImClients made by hand, closed with the rest. */
    track: (...ims: ImClient[]) => void open.push(...ims),
    closeAll: () => {
      for (const im of open.splice(0)) im.close();
    },
  };
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
