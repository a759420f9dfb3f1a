/**
 * Fresh, isolated session stores on every backend for the store suites: SQLite in a temporary
 * directory, Redis under its own key prefix, MySQL and PostgreSQL under their own table prefix.
 * Each comes with a `cleanup` that removes what it stored; close the store first.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoreFactory } from '@hutong/core/testing';
import { Redis } from 'ioredis';
import { service, uniqueSuffix } from '../../../../testing/services.js';
import { dropTables } from '../../../../testing/sql.js';
import { RedisSessionStore } from '../../src/stores/redis-session-store.js';
import { SqlSessionStore } from '../../src/stores/sql-session-store.js';
import { SqliteSessionStore } from '../../src/stores/sqlite-session-store.js';

export const SESSION_TABLES = ['sessions', 'users', 'migrations'];

export const [redisSvc, mysqlSvc, postgresSvc] = await Promise.all([
  service('redis'),
  service('mysql'),
  service('postgres'),
]);

export async function dropRedisKeys(url: string, prefix: string): Promise<void> {
  const admin = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await admin.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await admin.quit();
  }
}

export const sqlite: StoreFactory = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hutong-store-'));
  const store = new SqliteSessionStore({ file: join(dir, 'sessions.db') });
  return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
};

export function redis(
  url: string,
  options: {
    connectTimeoutMs?: number;
    commandTimeoutMs?: number;
    localCacheEntries?: number;
    localCacheHeartbeatMs?: number;
  } = {},
) {
  const prefix = `hutong-test:${uniqueSuffix()}:`;
  const store = new RedisSessionStore({ url, prefix, ...options });
  return { store, cleanup: () => dropRedisKeys(redisSvc.url, prefix) };
}

export function sqlStore(kind: 'mysql' | 'postgres', url: string, timeoutMs?: number) {
  const tablePrefix = `t${uniqueSuffix()}_`;
  const timeouts = timeoutMs === undefined ? {} : { connectTimeoutMs: timeoutMs, queryTimeoutMs: timeoutMs };
  const store = new SqlSessionStore({ kind, url, tablePrefix, ...timeouts });
  const adminUrl = kind === 'mysql' ? mysqlSvc.url : postgresSvc.url;
  return { store, cleanup: () => dropTables(kind, adminUrl, tablePrefix, SESSION_TABLES) };
}

/** Every backend as `[name, factory, skip]`, for suites that run once per store. */
export const everyStore: [string, StoreFactory, string | false][] = [
  ['sqlite', sqlite, false],
  ['redis', async () => redis(redisSvc.url), redisSvc.skip],
  ['mysql', async () => sqlStore('mysql', mysqlSvc.url), mysqlSvc.skip],
  ['postgres', async () => sqlStore('postgres', postgresSvc.url), postgresSvc.skip],
];
