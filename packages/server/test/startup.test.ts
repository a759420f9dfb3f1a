/**
 * A database or Redis that is unreachable when Hutong starts: start-up waits, logging each failed
 * attempt with the dependency's name, and carries on when it answers; after the start timeout it
 * fails with an error naming what could not be reached.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { service, uniqueSuffix } from '../../../testing/services.js';
import { startTcpProxy } from '../../../testing/tcp-proxy.js';
import { loadConfig } from '../src/config/config.js';
import { createHutong, createLogger } from '../src/hutong.js';
import { StartupError } from '../src/startup.js';
import { testEnv } from './fixtures.js';

const [postgres, redis] = await Promise.all([service('postgres'), service('redis')]);

function logs() {
  const lines: { msg: string; dependency?: string; reason?: string }[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger('info', sink) };
}

const env = (extra: Record<string, string>) =>
  loadConfig(
    testEnv({
      HUTONG_IM_STORE: 'sqlite',
      HUTONG_IM_STORE_URL: ':memory:',
      HUTONG_LOG_LEVEL: 'info',
      ...extra,
    }),
  );

describe('start-up with a dependency down', { skip: postgres.skip || redis.skip }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  test('the session database comes up after a while: start-up waits, logs, and carries on', async () => {
    const proxy = await startTcpProxy(postgres.url);
    cleanups.push(() => proxy.close());
    proxy.down();
    const { lines, logger } = logs();
    setTimeout(() => proxy.up(), 1200);
    const hutong = await createHutong(
      env({
        HUTONG_STORE: 'postgres',
        HUTONG_STORE_URL: proxy.url(postgres.url),
        HUTONG_START_TIMEOUT_MS: '20000',
      }),
      { logger, purgeIntervalMs: 0 },
    );
    cleanups.push(() => hutong.close());
    const retries = lines.filter((l) => l.msg === 'session store unreachable; retrying');
    assert.ok(retries.length >= 1, 'each failed attempt is logged');
    assert.equal(retries[0]!.dependency, 'session store');
    assert.ok(retries[0]!.reason && retries[0]!.reason.length > 0, 'with the reason');
    assert.ok(lines.some((l) => l.msg === 'session store reachable'));
    await hutong.listen();
    assert.equal((await fetch(`${hutong.publicUrl}/readyz`)).status, 200);
  });

  test('Redis for the broker never answers: start-up fails after the timeout, naming it', async () => {
    const proxy = await startTcpProxy(redis.url);
    cleanups.push(() => proxy.close());
    proxy.down();
    const { lines, logger } = logs();
    const started = Date.now();
    await assert.rejects(
      createHutong(
        env({
          HUTONG_STORE_URL: ':memory:',
          HUTONG_BROKER: 'redis',
          HUTONG_BROKER_URL: proxy.url(redis.url),
          HUTONG_NODE_ID: `n-${uniqueSuffix()}`,
          HUTONG_START_TIMEOUT_MS: '1500',
        }),
        { logger, purgeIntervalMs: 0 },
      ),
      (error: unknown) => error instanceof StartupError && /^broker Redis unreachable: /.test(error.message),
    );
    assert.ok(Date.now() - started >= 1400, 'it retried until the timeout');
    assert.ok(lines.filter((l) => l.dependency === 'broker Redis').length >= 2);
  });
  test('Redis goes away during traffic: readiness turns red, then green again when it is back', async () => {
    const proxy = await startTcpProxy(redis.url);
    cleanups.push(() => proxy.close());
    const hutong = await createHutong(
      env({
        HUTONG_STORE_URL: ':memory:',
        HUTONG_BROKER: 'redis',
        HUTONG_BROKER_URL: proxy.url(redis.url),
        HUTONG_NODE_ID: `n-${uniqueSuffix()}`,
      }),
      { logger: logs().logger, purgeIntervalMs: 0 },
    );
    cleanups.push(() => hutong.close());
    await hutong.listen();
    const ready = async () => {
      const response = await fetch(`${hutong.publicUrl}/readyz`);
      return { status: response.status, body: (await response.json()) as { error?: { code: string } } };
    };
    assert.equal((await ready()).status, 200);
    proxy.down();
    const down = await ready();
    assert.equal(down.status, 503);
    assert.equal(down.body.error?.code, 'ERR_STORE_UNAVAILABLE');
    proxy.up();
    const deadline = Date.now() + 10_000;
    while ((await ready()).status !== 200) {
      assert.ok(Date.now() < deadline, 'readiness came back');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
});
