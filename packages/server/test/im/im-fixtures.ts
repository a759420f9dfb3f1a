import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { imTypes } from '@hutong/protocol/im';
import WebSocket from 'ws';
import { ImHub, type ImHubOptions } from '../../src/im/im-hub.js';
import { SqliteMessageStore } from '../../src/im/sqlite-message-store.js';

/** The test login check: a user's token is `token-<userId>`. */
export const testVerifyLogin: ImHubOptions['verifyLogin'] = async ({ userId, token }) =>
  token === `token-${userId}` ? { ok: true } : { ok: false, code: 1025 };

/**
 * An IM hub on port 0 with an in-memory store (or the `store` given: nodes of one cluster share
 * one); a user's token is `token-<userId>`.
 */
export async function startIm(
  options: Partial<ImHubOptions> = {},
  listen: { port?: number | undefined } = {},
) {
  const own = options.store === undefined;
  const store = options.store ?? new SqliteMessageStore({ file: ':memory:' });
  const hub = new ImHub({
    store,
    verifyLogin: testVerifyLogin,
    resendMs: 200,
    ...options,
  });
  const http = createServer();
  http.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => http.listen(listen.port ?? 0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/im`;
  return {
    hub,
    store,
    url,
    port: (http.address() as AddressInfo).port,
    close: async () => {
      await hub.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
      if (own) await store.close();
    },
  };
}

export type Frame = Record<string, any> & { type: number };

/** A client speaking raw MobileIMSDK frames (JS client style: explicit nulls, retryCount). */
export async function rawClient(url: string) {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const send = (frame: Partial<Frame> & { type: number }) =>
    ws.send(
      JSON.stringify({
        dataContent: null,
        from: '-1',
        to: '0',
        fp: null,
        QoS: false,
        typeu: -1,
        retryCount: 0,
        ...frame,
      }),
    );
  let seen = 0;
  return {
    ws,
    frames,
    closed,
    send,
    /** The next frame (after the ones already taken) matching `match`. */
    async next(match: (f: Frame) => boolean, what = 'frame', ms = 3000): Promise<Frame> {
      const deadline = Date.now() + ms;
      for (;;) {
        const index = frames.findIndex((f, i) => i >= seen && match(f));
        if (index >= 0) {
          seen = index + 1;
          return frames[index]!;
        }
        if (Date.now() > deadline) throw new Error(`no ${what}; got ${JSON.stringify(frames).slice(0, 400)}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    login(userId: string, options: { token?: string; firstLoginTime?: number; extra?: unknown } = {}) {
      send({
        type: imTypes.login,
        from: userId,
        dataContent: JSON.stringify({
          loginUserId: userId,
          loginToken: options.token ?? `token-${userId}`,
          extra: options.extra ?? null,
          firstLoginTime: options.firstLoginTime ?? 0,
        }),
      });
    },
    say(from: string, to: string, text: string, fp: string | null) {
      send({ type: imTypes.data, from, to, dataContent: text, fp, QoS: fp !== null, typeu: 1 });
    },
    ack(frame: Frame) {
      send({ type: imTypes.ack, from: frame['to'], to: frame['from'], dataContent: frame['fp'] });
    },
  };
}

/** Logs a raw client in and waits for the answer. */
export async function online(
  url: string,
  userId: string,
  options?: Parameters<Awaited<ReturnType<typeof rawClient>>['login']>[1],
) {
  const client = await rawClient(url);
  client.login(userId, options);
  const response = await client.next((f) => f.type === imTypes.loginResponse, 'login response');
  return {
    client,
    response: JSON.parse(response['dataContent']) as { code: number; firstLoginTime: number },
  };
}
