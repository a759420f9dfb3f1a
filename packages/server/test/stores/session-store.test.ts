/**
 * Runs the shared SessionStore suite against every backend: SQLite always, Redis, MySQL and
 * PostgreSQL when reachable (see testing/services.ts). Each run works under its own key or table
 * prefix and removes it afterwards. Then the network stores face a backend that goes down, stalls
 * and comes back, through a TCP proxy.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { SessionStore } from '@hutong/core';
import { eventually, login, sessionOf, sessionStoreSuite } from '@hutong/core/testing';
import { isHutongError } from '@hutong/protocol';
import { uniqueSuffix } from '../../../../testing/services.js';
import { dropTables } from '../../../../testing/sql.js';
import { startTcpProxy } from '../../../../testing/tcp-proxy.js';
import { RedisSessionStore } from '../../src/stores/redis-session-store.js';
import { SqlSessionStore } from '../../src/stores/sql-session-store.js';
import { SqliteSessionStore } from '../../src/stores/sqlite-session-store.js';
import {
  dropRedisKeys,
  mysqlSvc,
  postgresSvc,
  redis,
  redisSvc,
  SESSION_TABLES,
  sqlite,
  sqlStore,
} from './store-factories.js';

sessionStoreSuite('sqlite', sqlite);
sessionStoreSuite('sqlite without cache', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hutong-store-'));
  const store = new SqliteSessionStore({ file: join(dir, 'sessions.db'), cacheEntries: 0 });
  return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
});
sessionStoreSuite('redis', async () => redis(redisSvc.url), { skip: redisSvc.skip });
sessionStoreSuite('redis without local cache', async () => redis(redisSvc.url, { localCacheEntries: 0 }), {
  skip: redisSvc.skip,
});
sessionStoreSuite('mysql', async () => sqlStore('mysql', mysqlSvc.url), { skip: mysqlSvc.skip });
sessionStoreSuite('postgres', async () => sqlStore('postgres', postgresSvc.url), { skip: postgresSvc.skip });

describe('SqliteSessionStore', () => {
  it('its session cache sees commits made by other connections to the same file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hutong-store-'));
    const file = join(dir, 'shared.db');
    const [a, b] = [new SqliteSessionStore({ file }), new SqliteSessionStore({ file, cacheEntries: 0 })];
    try {
      await Promise.all([a.init(), b.init()]);
      const now = Date.now();
      const user = await b.upsertUser(login(), now);
      const session = sessionOf(user, now);
      await b.createSession(session, { replaceUserSessions: false });
      assert.deepEqual((await a.getSession(session.skey, now))?.session, session); // now cached in A
      await b.touchSession(session.skey, now + 7, session.idleExpiresAt + 7);
      assert.equal((await a.getSession(session.skey, now))?.session.lastSeenAt, now + 7);
      await b.upsertUser({ appid: user.appid, openid: user.openid, phoneNumber: '+86 2' }, now + 8);
      assert.equal((await a.getSession(session.skey, now))?.user.phoneNumber, '+86 2');
      await b.deleteSession(session.skey);
      assert.equal(await a.getSession(session.skey, now), null);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('works in memory', async () => {
    const store = new SqliteSessionStore({ file: ':memory:' });
    await store.init();
    const user = await store.upsertUser(login(), 1);
    assert.equal((await store.getUserById(user.id))?.openid, user.openid);
    await store.close();
  });

  it('two stores on one file initialise together and see each other', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hutong-store-'));
    const file = join(dir, 'shared.db');
    const [a, b] = [new SqliteSessionStore({ file }), new SqliteSessionStore({ file })];
    await Promise.all([a.init(), b.init()]);
    const user = await a.upsertUser(login(), 1);
    assert.deepEqual(await b.getUserById(user.id), user);
    await Promise.all([a.close(), b.close()]);
    await rm(dir, { recursive: true, force: true });
  });
});

describe('RedisSessionStore', { skip: redisSvc.skip }, () => {
  it('sets a TTL, so Redis drops a session when its idle time runs out', async () => {
    const { store, cleanup } = redis(redisSvc.url);
    await store.init();
    const now = Date.now();
    const session = sessionOf(await store.upsertUser(login(), now), now, { idleExpiresAt: now + 150 });
    await store.createSession(session, { replaceUserSessions: false });
    assert.ok(await store.getSession(session.skey, now));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Still live by the `now` passed in, so only the TTL can have removed it.
    assert.equal(await store.getSession(session.skey, now), null);
    await store.close();
    await cleanup();
  });
});

for (const [kind, svc] of [
  ['mysql', mysqlSvc],
  ['postgres', postgresSvc],
] as const) {
  describe(`SqlSessionStore (${kind})`, { skip: svc.skip }, () => {
    it('several nodes may init one fresh schema at once', async () => {
      const tablePrefix = `t${uniqueSuffix()}_`;
      const nodes = Array.from({ length: 4 }, () => new SqlSessionStore({ kind, url: svc.url, tablePrefix }));
      try {
        await Promise.all(nodes.map((node) => node.init()));
        const user = await nodes[0]!.upsertUser(login(), 1);
        assert.deepEqual(await nodes[3]!.getUserById(user.id), user);
      } finally {
        await Promise.all(nodes.map((node) => node.close()));
        await dropTables(kind, svc.url, tablePrefix, SESSION_TABLES);
      }
    });
  });
}

/** Asserts that `fn` rejects with ERR_STORE_UNAVAILABLE within `ms`. */
async function unavailableWithin(ms: number, fn: () => Promise<unknown>): Promise<void> {
  const started = performance.now();
  await assert.rejects(
    fn(),
    (error: unknown) => isHutongError(error) && error.code === 'ERR_STORE_UNAVAILABLE',
  );
  const took = performance.now() - started;
  assert.ok(took < ms, `took ${took.toFixed(0)} ms, expected under ${ms} ms`);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

type Made = { store: SessionStore; cleanup(): Promise<void> };

function recoverySuite(
  name: string,
  svc: { url: string; skip: string | false },
  make: (url: string) => Made,
) {
  describe(`${name}: backend failures`, { skip: svc.skip }, () => {
    it('fails fast with ERR_STORE_UNAVAILABLE when nothing listens', async () => {
      const target = new URL(svc.url);
      target.port = String(await closedPort());
      const { store, cleanup } = make(target.toString());
      await unavailableWithin(1000, () => store.init());
      await unavailableWithin(1000, () => store.ping());
      await store.close();
      await cleanup();
    });

    it('fails fast while the backend is down or stalled, and recovers once it is back', async () => {
      const proxy = await startTcpProxy(svc.url);
      const { store, cleanup } = make(proxy.url(svc.url));
      try {
        await store.init();
        const now = Date.now();
        const session = sessionOf(await store.upsertUser(login(), now), now);
        await store.createSession(session, { replaceUserSessions: false });

        proxy.down();
        await unavailableWithin(1000, () => store.getSession(session.skey, now));
        await unavailableWithin(1000, () => store.upsertUser(login(), now));
        proxy.up();
        const back = await eventually(() => store.getSession(session.skey, now), {
          timeoutMs: 5000,
          intervalMs: 50,
        });
        assert.deepEqual(back?.session, session);

        proxy.stall();
        await unavailableWithin(1500, () => store.getSession(session.skey, now));
        await unavailableWithin(1500, () => store.ping());
        proxy.up();
        const again = await eventually(() => store.getSession(session.skey, now), {
          timeoutMs: 8000,
          intervalMs: 50,
        });
        assert.deepEqual(again?.session, session);
      } finally {
        await store.close();
        await proxy.close();
        await cleanup();
      }
    });
  });
}

recoverySuite('redis', redisSvc, (url) =>
  redis(url, { connectTimeoutMs: 300, commandTimeoutMs: 300, localCacheEntries: 0 }),
);

describe('RedisSessionStore local cache (CLIENT TRACKING)', { skip: redisSvc.skip }, () => {
  it('serves repeated reads locally and sees other nodes’ changes at once', async () => {
    const prefix = `hutong-test:${uniqueSuffix()}:`;
    const a = new RedisSessionStore({ url: redisSvc.url, prefix });
    const b = new RedisSessionStore({ url: redisSvc.url, prefix, localCacheEntries: 0 });
    try {
      await Promise.all([a.init(), b.init()]);
      assert.equal(a.cacheActive, true);
      const now = Date.now();
      const user = await b.upsertUser(login(), now);
      const session = sessionOf(user, now);
      await b.createSession(session, { replaceUserSessions: false });
      assert.deepEqual((await a.getSession(session.skey, now))?.session, session);
      // Another node changes the user and the session: node A must not keep its copies.
      await b.upsertUser({ appid: user.appid, openid: user.openid, phoneNumber: '+86 1' }, now + 1);
      await b.touchSession(session.skey, now + 5, now + 999_999);
      const seen = await eventually(
        async () => {
          const got = await a.getSession(session.skey, now);
          assert.equal(got?.user.phoneNumber, '+86 1');
          assert.equal(got?.session.lastSeenAt, now + 5);
          return got;
        },
        { timeoutMs: 500, intervalMs: 50 },
      );
      assert.ok(seen);
      await b.deleteSession(session.skey);
      await eventually(async () => assert.equal(await a.getSession(session.skey, now), null), {
        timeoutMs: 500,
        intervalMs: 50,
      });
    } finally {
      await Promise.all([a.close(), b.close()]);
      await dropRedisKeys(redisSvc.url, prefix);
    }
  });

  it('stops serving from the cache within two heartbeats of a stalled link, and recovers', async () => {
    const proxy = await startTcpProxy(redisSvc.url);
    const { store, cleanup } = redis(proxy.url(redisSvc.url), {
      connectTimeoutMs: 300,
      commandTimeoutMs: 300,
      localCacheHeartbeatMs: 200,
    });
    try {
      await store.init();
      const now = Date.now();
      const session = sessionOf(await store.upsertUser(login(), now), now);
      await store.createSession(session, { replaceUserSessions: false });
      assert.ok(await store.getSession(session.skey, now));
      assert.equal((store as RedisSessionStore).cacheActive, true);
      proxy.stall();
      // Invalidations cannot arrive now: within 2 × 200 ms (+ slack) reads must go to Redis and fail.
      await new Promise((resolve) => setTimeout(resolve, 600));
      await unavailableWithin(1000, () => store.getSession(session.skey, now));
      proxy.up();
      const again = await eventually(() => store.getSession(session.skey, now), {
        timeoutMs: 8000,
        intervalMs: 50,
      });
      assert.deepEqual(again?.session, session);
    } finally {
      await store.close();
      await proxy.close();
      await cleanup();
    }
  });
});
recoverySuite('postgres', postgresSvc, (url) => sqlStore('postgres', url, 300));
recoverySuite('mysql', mysqlSvc, (url) => sqlStore('mysql', url, 300));
