import { type BoundClient, createClient, type Tunnel } from '@hutong/client/core';
import { createWxPlatform, type WxLike } from '@hutong/client/wx';
import { createWx, type MemoryStorage, type SimWx } from '@hutong/wechat-sim';
import type { DevStack } from '../src/stack.js';
import { devApp } from '../src/stack.js';

/**
 * A phone running a mini program built on @hutong/client: the simulator's `wx` and a client on it.
 * `storage` reuses a phone's storage: the same app restarted.
 */
export function phone(
  stack: DevStack,
  nickName = '测试用户',
  storage?: MemoryStorage,
): { wx: SimWx; client: BoundClient } {
  const wx = createWx({
    baseUrl: `${stack.url}/__wx`,
    appid: devApp.appid,
    ...(storage ? { storage } : {}),
    userInfo: { nickName, avatarUrl: 'https://example.com/a.png' },
  });
  const client = createClient({
    platform: createWxPlatform(wx as unknown as WxLike),
    loginUrl: `${stack.url}/weapp/login`,
  });
  return { wx, client };
}

/** Everything a tunnel reports, in order: `event payload` strings and message payloads by type. */
export function watch(tunnel: Tunnel) {
  const events: string[] = [];
  const messages: { type: string; content: any }[] = [];
  tunnel.on('*', (type, payload) => {
    if (type === 'state') return;
    if (['connect', 'close', 'reconnecting', 'reconnect', 'error'].includes(type)) {
      events.push(payload === undefined ? type : `${type} ${JSON.stringify(payload)}`);
    } else messages.push({ type, content: payload });
  });
  return { events, messages };
}

export const tunnelIdOf = (tunnel: Tunnel): string =>
  new URL(tunnel.socketUrl ?? 'ws://x/').searchParams.get('tunnelId') ?? '';
