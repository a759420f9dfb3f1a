/**
 * A minimal business server in the Wafer 1 and Wafer 2 dialects (docs/protocols/session.md#session-login, docs/protocols/tunnel.md#client-and-tunnel-server), enough for
 * the official client SDKs to log in, make authenticated requests and open a tunnel. It talks to
 * the simulator over HTTP like a real server talks to WeChat.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { decryptLegacyUserData, decryptUserData } from '@hutong/protocol/wechat-crypto';
import Fastify from 'fastify';
import { WebSocketServer } from 'ws';

const MAGIC = 'F2C224D4-2BCE-4C64-AF9F-A6D872000D1A';
type User = Record<string, unknown>;

export interface Business {
  url: string;
  /** Forget every session (the next request must log in again). */
  dropSessions(): void;
  close(): Promise<void>;
}

export async function startBusiness(sim: { url: string; appid: string; secret: string }): Promise<Business> {
  const sessions = new Map<string, User>();
  const users = new Map<string, User>();
  const header = (headers: Record<string, unknown>, name: string) => {
    const value = headers[name];
    return typeof value === 'string' ? value : undefined;
  };

  async function exchange(code: string): Promise<{ openid: string; session_key: string }> {
    const query = new URLSearchParams({
      appid: sim.appid,
      secret: sim.secret,
      js_code: code,
      grant_type: 'authorization_code',
    });
    const reply = (await (await fetch(`${sim.url}/sns/jscode2session?${query}`)).json()) as Record<
      string,
      string
    >;
    if (!reply['openid'] || !reply['session_key'])
      throw new Error(`jscode2session: ${JSON.stringify(reply)}`);
    return reply as unknown as { openid: string; session_key: string };
  }

  /** Identity from code2session; the profile from whichever encrypted form the client sent. */
  async function login(headers: Record<string, unknown>): Promise<User | undefined> {
    const { openid, session_key } = await exchange(header(headers, 'x-wx-code') ?? '');
    const encrypted = header(headers, 'x-wx-encrypted-data');
    const iv = header(headers, 'x-wx-iv');
    const legacy = header(headers, 'x-wx-encrypt-data');
    const plain =
      encrypted && iv
        ? decryptUserData(encrypted, session_key, iv)
        : legacy
          ? decryptLegacyUserData(legacy, session_key)
          : null;
    if (plain) {
      const data = JSON.parse(plain) as User;
      if (data['openId'] !== openid) return undefined;
      users.set(openid, data);
    }
    return users.get(openid);
  }

  const app = Fastify();
  app.get('/weapp/login', async (request) => {
    const user = await login(request.headers);
    if (!user) return { code: -1, error: 'ERR_LOGIN_FAILED' };
    const skey = randomUUID();
    sessions.set(skey, user);
    return { code: 0, data: { skey, userinfo: user } };
  });
  app.get('/weapp/user', async (request, reply) => {
    const user = sessions.get(header(request.headers, 'x-wx-skey') ?? '');
    return user ? { code: 0, data: user } : reply.status(401).send({ code: -1 });
  });
  app.get('/wafer1/login', async (request) => {
    const user = await login(request.headers);
    if (!user) return { [MAGIC]: 1, error: 'ERR_LOGIN_FAILED', message: 'no user data' };
    const id = randomUUID();
    const skey = randomUUID();
    sessions.set(`${id}:${skey}`, user);
    return { [MAGIC]: 1, session: { id, skey } };
  });
  app.get('/wafer1/user', async (request) => {
    const user = sessions.get(
      `${header(request.headers, 'x-wx-id')}:${header(request.headers, 'x-wx-skey')}`,
    );
    return user
      ? { ok: true, user }
      : { [MAGIC]: 1, error: 'ERR_INVALID_SESSION', message: 'unknown session' };
  });

  // The tunnel: `ping` → `pong`; `message:speak` comes back as `speak {who, word}`.
  const tunnels = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => tunnels.once('listening', () => resolve()));
  const wsUrl = `ws://127.0.0.1:${(tunnels.address() as AddressInfo).port}`;
  tunnels.on('connection', (socket) => {
    socket.on('message', (data) => {
      const text = data.toString();
      if (text === 'ping') socket.send('pong');
      else if (text === 'close') socket.close();
      else if (text.startsWith('message:')) {
        const message = JSON.parse(text.slice('message:'.length)) as {
          type: string;
          content: { word: string };
        };
        socket.send(
          `message:${JSON.stringify({ type: 'speak', content: { who: 'server', word: message.content.word } })}`,
        );
      }
    });
  });
  app.get('/weapp/tunnel', async () => ({ code: 0, data: { tunnelId: randomUUID(), connectUrl: wsUrl } }));
  app.get('/wafer1/tunnel', async () => ({ url: wsUrl }));

  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    dropSessions: () => sessions.clear(),
    close: async () => {
      for (const client of tunnels.clients) client.terminate();
      await new Promise((resolve) => tunnels.close(resolve));
      await app.close();
    },
  };
}
