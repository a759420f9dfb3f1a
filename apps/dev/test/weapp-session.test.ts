/**
 * weapp-session, the 一笔到底 tutorial's session layer, served by `weappSession` on Express and
 * Koa business servers backed by the dev stack's Hutong. The client here speaks the protocol as
 * weapp-session-client does, from the protocol alone: the first request carries `X-WX-Code`,
 * `X-WX-RawData` (URI-encoded) and `X-WX-Signature`; later requests the same code alone.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { codeSessionKey } from '@hutong/core';
import { weappSession } from '@hutong/node-sdk/express';
import { weappSession as weappSessionFastify } from '@hutong/node-sdk/fastify';
import { weappSession as weappSessionKoa } from '@hutong/node-sdk/koa';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import type { DevStack } from '../src/stack.js';
import { simDevice, startTestStack } from './stack-fixture.js';

const MAGIC = 'F2C224D4-2BCE-4C64-AF9F-A6D872000D1A';

let stack: DevStack;
const servers: { close(): void }[] = [];

/** A phone: a fresh login code and the signed user info WeChat would give with it. */
async function phone(openid?: string) {
  const post = (path: string, body: object) => simDevice(stack, path, body);
  const { code, openid: id } = await post('login', openid ? { openid } : {});
  const info = await post('userinfo', { code, userInfo: { nickName: '一笔', avatarUrl: 'https://a/1.png' } });
  return { code: code!, openid: id!, rawData: info['rawData']!, signature: info['signature']! };
}

const loginHeaders = (p: { code: string; rawData: string; signature: string }) => ({
  'x-wx-code': p.code,
  'x-wx-rawdata': encodeURIComponent(p.rawData),
  'x-wx-signature': p.signature,
});

async function listen(handler: Parameters<typeof import('node:http').createServer>[1]): Promise<string> {
  const { createServer } = await import('node:http');
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  stack = await startTestStack();
});
after(async () => {
  for (const server of servers) server.close();
  await stack.close();
});

const variants = [
  ['express', 'a remote Hutong'],
  ['koa', 'a remote Hutong'],
  ['fastify', 'a remote Hutong'],
  ['express', 'the AuthService in process'],
] as const;
for (const [framework, where] of variants) {
  describe(`weappSession on ${framework}, sessions in ${where}`, () => {
    let base: string;
    before(async () => {
      const options = {
        auth: where === 'a remote Hutong' ? { url: stack.url } : stack.hutong.auth,
        appId: 'ignored-by-hutong-when-one-app',
        appSecret: 'the secret stays in Hutong',
        redisConfig: { host: '127.0.0.1', port: 6379, ttl: 600 },
        ignore: (req: { url?: string | undefined }) => req.url === '/health',
      };
      if (framework === 'express') {
        const app = express();
        app.use(weappSession({ ...options, appId: '' }));
        app.get('/health', (_req, res) => res.json({ ok: true }));
        app.get('/me', (req, res) =>
          res.json({ user: (req as unknown as { $wxUserInfo: unknown }).$wxUserInfo }),
        );
        base = await listen(app);
      } else if (framework === 'fastify') {
        const app = Fastify();
        app.addHook(
          'preHandler',
          weappSessionFastify({ ...options, appId: '', ignore: (req) => req.url === '/health' }),
        );
        app.get('/health', async () => ({ ok: true }));
        app.get('/me', async (request) => ({ user: request.$wxUserInfo }));
        base = await app.listen({ port: 0, host: '127.0.0.1' });
        servers.push({ close: () => void app.close() });
      } else {
        const app = new Koa();
        app.use(weappSessionKoa({ ...options, appId: '' }) as unknown as Koa.Middleware);
        app.use(async (ctx) => {
          ctx.body =
            ctx.path === '/health'
              ? { ok: true }
              : {
                  user: ctx.state['$wxUserInfo'],
                  fromReq: (ctx.req as { $wxUserInfo?: unknown }).$wxUserInfo,
                };
        });
        base = await listen(app.callback());
      }
    });

    const me = async (headers: Record<string, string> = {}) => {
      const response = await fetch(`${base}/me`, { headers });
      assert.equal(response.status, 200, 'weapp-session answers its errors with HTTP 200');
      return (await response.json()) as any;
    };

    test('first request logs in (code + rawData + signature); later requests carry the code alone', async () => {
      const p = await phone();
      const first = await me(loginHeaders(p));
      assert.equal(first.user.openId, p.openid);
      assert.equal(first.user.nickName, '一笔');
      const later = await me({ 'x-wx-code': p.code });
      assert.equal(later.user.openId, p.openid);
      assert.equal(later.user.nickName, '一笔', 'the verified profile is kept with the session');
      if (framework === 'koa') assert.equal(later.fromReq.openId, p.openid, 'ctx.req.$wxUserInfo too');
      // The session lives in Hutong's store under a hash of the code, with the configured TTL.
      const view = (await (
        await fetch(`${stack.url}/api/v1/session`, {
          headers: { authorization: `Bearer ${codeSessionKey(p.code)}` },
        })
      ).json()) as { expiresAt: number };
      assert.ok(Math.abs(view.expiresAt - (Date.now() + 600_000)) < 10_000, 'redisConfig.ttl: 600 s');
    });

    test('no code: $wxUserInfo is null and the route runs; ignored routes are skipped', async () => {
      assert.deepEqual(await me(), { user: null, ...(framework === 'koa' ? { fromReq: null } : {}) });
      const health = await fetch(`${base}/health`, { headers: { 'x-wx-code': 'whatever' } });
      assert.deepEqual(await health.json(), { ok: true });
    });

    test('an unknown code is ERR_SESSION_EXPIRED (the client logs in again)', async () => {
      const body = await me({ 'x-wx-code': 'never-logged-in' });
      assert.equal(body[MAGIC], 1);
      assert.equal(body.reason, 'ERR_SESSION_EXPIRED');
      assert.equal(typeof body.error.message, 'string');
    });

    test('a tampered rawData is ERR_UNTRUSTED_RAW_DATA; a code WeChat refuses is ERR_SESSION_KEY_EXCHANGE_FAILED', async () => {
      const p = await phone();
      const tampered = await me(loginHeaders({ ...p, rawData: p.rawData.replace('一笔', '两笔') }));
      assert.equal(tampered[MAGIC], 1);
      assert.equal(tampered.reason, 'ERR_UNTRUSTED_RAW_DATA');
      const unsigned = await me({
        'x-wx-code': (await phone()).code,
        'x-wx-rawdata': encodeURIComponent(p.rawData),
      });
      assert.equal(unsigned.reason, 'ERR_UNTRUSTED_RAW_DATA', 'rawData without a signature');
      const refused = await me(loginHeaders({ ...p, code: 'a-code-wechat-never-issued' }));
      assert.equal(refused[MAGIC], 1);
      assert.equal(refused.reason, 'ERR_SESSION_KEY_EXCHANGE_FAILED');
    });

    test('malformed URI-encoding or JSON gets the magic-id body, never a 5xx', async () => {
      const p = await phone();
      for (const raw of ['%E0%A4%A', encodeURIComponent('{not json'), encodeURIComponent('[1,2]')]) {
        const body = await me({ 'x-wx-code': p.code, 'x-wx-rawdata': raw, 'x-wx-signature': p.signature });
        assert.equal(body[MAGIC], 1, raw);
        assert.equal(body.reason === undefined || body.reason === 'ERR_UNTRUSTED_RAW_DATA', true, raw);
        assert.equal(typeof body.error.name, 'string');
      }
    });

    test('a new login replaces the user’s previous code', async () => {
      const first = await phone();
      assert.equal((await me(loginHeaders(first))).user.openId, first.openid);
      const second = await phone(first.openid);
      assert.equal((await me(loginHeaders(second))).user.openId, first.openid);
      assert.equal(
        (await me({ 'x-wx-code': first.code })).reason,
        'ERR_SESSION_EXPIRED',
        'the old code ended',
      );
      assert.equal((await me({ 'x-wx-code': second.code })).user.openId, first.openid);
    });
  });
}

test('weappSession without a Hutong to keep sessions is a setup error', () => {
  assert.throws(() => weappSession({} as never), /needs `auth`/);
});
