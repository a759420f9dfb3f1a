/**
 * The HTTP dialects while the session store is away: typed errors, no crash, readiness red, and
 * service back without a restart once the store returns. Redis behind a TCP proxy we can cut.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { service, uniqueSuffix } from '../../../testing/services.js';
import { startTcpProxy, type TcpProxy } from '../../../testing/tcp-proxy.js';
import { createHttpServer } from '../src/http/server.js';
import { createSessionStore } from '../src/stores/index.js';
import { type AuthFixture, startAuth } from './fixtures.js';

const redis = await service('redis');

describe('store outage over HTTP (Redis)', { skip: redis.skip }, () => {
  let proxy: TcpProxy;
  let f: AuthFixture;
  let app: FastifyInstance;
  let base: string;

  before(async () => {
    proxy = await startTcpProxy(redis.url);
    const store = createSessionStore({
      kind: 'redis',
      url: proxy.url(redis.url),
      prefix: `hutong-test-${uniqueSuffix()}:`,
    });
    f = await startAuth({ store });
    app = createHttpServer({ auth: f.auth });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app.close();
    await f.close();
    await proxy.close();
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${path}`, { headers });
    return { status: response.status, body: (await response.json()) as any };
  };
  const wafer1Check = async (id: string, skey: string) => {
    const response = await fetch(`${base}/auth`, {
      method: 'POST',
      body: JSON.stringify({
        version: 1,
        componentName: 'MA',
        interface: { interfaceName: 'qcloud.cam.auth', para: { id, skey } },
      }),
    });
    return (await response.json()) as { returnCode: number };
  };

  test('503 ERR_STORE_UNAVAILABLE and /readyz red while down; back to normal when it returns', async () => {
    const login = await f.auth.login({ code: (await f.sim.login()).code });
    const bearer = { authorization: `Bearer ${login.session.skey}` };
    assert.equal((await get('/api/v1/session', bearer)).status, 200);

    proxy.down();
    const during = await get('/api/v1/session', bearer);
    assert.equal(during.status, 503);
    assert.equal(during.body.error.code, 'ERR_STORE_UNAVAILABLE');
    assert.equal((await get('/readyz')).status, 503);
    assert.equal((await get('/healthz')).status, 200, 'alive, just not ready');
    assert.equal(
      (await wafer1Check(login.user.id, login.session.skey)).returnCode,
      1001,
      'not 60012: the session is not invalid',
    );
    const { code } = await f.sim.login();
    const refused = await fetch(`${base}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    assert.equal(refused.status, 503);

    proxy.up();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await get('/api/v1/session', bearer)).status;
    }
    assert.equal(status, 200, 'served again without a restart');
    assert.equal((await get('/readyz')).status, 200);
    assert.equal((await wafer1Check(login.user.id, login.session.skey)).returnCode, 0);
  });
});
