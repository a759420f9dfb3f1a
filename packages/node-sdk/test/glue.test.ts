import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { createHttpServer } from '../../server/src/http/server.js';
import { type AuthFixture, startAuth } from '../../server/test/fixtures.js';
import { type AuthTarget, HutongRemoteBackend } from '../src/backend.js';
import { hutongExpress } from '../src/express.js';
import { hutongFastify } from '../src/fastify.js';
import { hutongKoa } from '../src/koa.js';
import { createWafer2Auth, type GuardOptions, LOGIN_STATE } from '../src/wafer2/auth.js';

let f: AuthFixture;
let hutongUrl: string;
let closeHutong: () => Promise<void>;
before(async () => {
  f = await startAuth({ loginRatePerIp: { limit: 0, windowMs: 1 } });
  const app = createHttpServer({ auth: f.auth });
  hutongUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  closeHutong = () => app.close();
});
after(async () => {
  await closeHutong();
  await f.close();
});

type Build = (
  target: AuthTarget,
  guard?: GuardOptions,
) => Promise<{ url: string; close: () => Promise<void> }>;

const frameworks: Record<string, Build> = {
  async express(target, guard) {
    const app = express();
    const glue = hutongExpress(target, guard);
    app.get('/login', glue.login());
    app.get('/user', glue.requireSession(), (req, res) => {
      res.json({ code: 0, data: (req as unknown as { $wxInfo: { userinfo: unknown } }).$wxInfo.userinfo });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  },
  async koa(target, guard) {
    const app = new Koa();
    const glue = hutongKoa(target, guard);
    const login = glue.login();
    const requireSession = glue.requireSession();
    app.use(async (ctx, next) => {
      if (ctx.path === '/login') return login(ctx as never);
      if (ctx.path === '/user') {
        return requireSession(ctx as never, async () => {
          ctx.body = { code: 0, data: (ctx.state['$wxInfo'] as { userinfo: unknown }).userinfo };
        });
      }
      return next();
    });
    const server = app.listen();
    await new Promise((resolve) => server.once('listening', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  },
  async fastify(target, guard) {
    const app = Fastify();
    await app.register(hutongFastify, { auth: target, ...guard });
    app.get('/login', (request, reply) => app.hutong.login(request, reply));
    app.get('/user', { preHandler: app.hutong.requireSession }, async (request) => ({
      code: 0,
      data: request.wxInfo?.userinfo,
    }));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  },
};

for (const [name, build] of Object.entries(frameworks)) {
  for (const mode of ['in-process', 'remote Hutong API'] as const) {
    describe(`${name} glue (${mode})`, () => {
      let server: { url: string; close: () => Promise<void> };
      before(async () => {
        server = await build(mode === 'in-process' ? f.auth : { url: hutongUrl });
      });
      after(() => server.close());

      test('login by code, then a request with X-WX-Skey; invalid sessions get 401 code -1', async () => {
        const { code, openid } = await f.sim.login();
        const login = await fetch(`${server.url}/login`, { headers: { 'x-wx-code': code } });
        assert.equal(login.status, 200);
        const body = (await login.json()) as {
          code: number;
          data: { skey: string; userinfo: { openId: string } };
        };
        assert.equal(body.code, 0);
        assert.equal(body.data.userinfo.openId, openid);
        const user = await fetch(`${server.url}/user`, { headers: { 'x-wx-skey': body.data.skey } });
        assert.equal(user.status, 200);
        assert.equal(((await user.json()) as { data: { openId: string } }).data.openId, openid);
        for (const headers of [{}, { 'x-wx-skey': 'forged' }]) {
          const denied = await fetch(`${server.url}/user`, { headers });
          assert.equal(denied.status, 401);
          assert.equal(((await denied.json()) as { code: number }).code, -1);
        }
        const bad = await fetch(`${server.url}/login`, { headers: { 'x-wx-code': 'bogus' } });
        assert.equal(bad.status, 400);
        const failure = (await bad.json()) as { code: number; error: string; message: string };
        assert.equal(failure.code, 1);
        assert.equal(failure.error, 'ERR_WX_CODE_INVALID');
        assert.match(failure.message, /40029/);
      });
    });
  }
}

describe('Wafer 2 auth API', () => {
  test('authorization/validation results and the Koa middlewares put them on ctx.state.$wxInfo', async () => {
    const auth = createWafer2Auth(f.auth);
    const { code } = await f.sim.login();
    const ctx = { req: { headers: { 'x-wx-code': code } }, state: {} as Record<string, any> };
    await auth.authorizationMiddleware(ctx as never, async () => {});
    assert.equal(ctx.state['$wxInfo'].loginState, LOGIN_STATE.SUCCESS);
    const skey = ctx.state['$wxInfo'].userinfo.skey;
    const valid = { req: { headers: { 'x-wx-skey': skey } }, state: {} as Record<string, any> };
    await auth.validationMiddleware(valid as never, async () => {});
    assert.equal(valid.state['$wxInfo'].loginState, LOGIN_STATE.SUCCESS);
    assert.deepEqual(await auth.validation({ headers: { 'x-wx-skey': 'nope' } }), {
      loginState: LOGIN_STATE.FAILED,
      userinfo: {},
    });
    await assert.rejects(auth.authorization({ headers: {} }), { code: 'ERR_HEADER_MISSING' });
  });

  test('an unreachable remote auth service is ERR_AUTH_UNAVAILABLE', async () => {
    const auth = createWafer2Auth(new HutongRemoteBackend('http://127.0.0.1:1', 1000));
    await assert.rejects(auth.validation({ headers: { 'x-wx-skey': 'x' } }), {
      code: 'ERR_AUTH_UNAVAILABLE',
    });
  });
});

describe('the needLogin dialect (the JSESSIONID tutorial): an invalid session is 200 {needLogin: true}', () => {
  for (const [name, build] of Object.entries(frameworks)) {
    test(name, async () => {
      const server = await build({ url: hutongUrl }, { invalidSession: 'needLogin' });
      try {
        for (const headers of [{}, { 'x-wx-skey': 'not-a-session' }]) {
          const response = await fetch(`${server.url}/user`, { headers });
          assert.equal(response.status, 200);
          assert.deepEqual(await response.json(), { needLogin: true });
        }
        const { code } = await f.sim.login();
        const login = (await (
          await fetch(`${server.url}/login`, { headers: { 'x-wx-code': code } })
        ).json()) as any;
        const user = await fetch(`${server.url}/user`, { headers: { 'x-wx-skey': login.data.skey } });
        assert.equal(((await user.json()) as any).code, 0, 'a live session passes as before');
      } finally {
        await server.close();
      }
    });
  }
});
