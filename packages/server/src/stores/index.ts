/**
 * Picks a SessionStore from configuration. SQLite is the default for a single node; Redis, MySQL
 * or PostgreSQL let several nodes share users and sessions. Call `init()` before use.
 */

import type { SessionStore } from '@hutong/core';
import { RedisSessionStore } from './redis-session-store.js';
import { SqlSessionStore } from './sql-session-store.js';
import { SqliteSessionStore } from './sqlite-session-store.js';

export type SessionStoreOptions =
  | { kind: 'sqlite'; file: string; cacheEntries?: number }
  | { kind: 'redis'; url: string; prefix?: string; localCacheEntries?: number }
  | { kind: 'mysql'; url: string; tablePrefix?: string }
  | { kind: 'postgres'; url: string; tablePrefix?: string };

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  switch (options.kind) {
    case 'sqlite':
      return new SqliteSessionStore(options);
    case 'redis':
      return new RedisSessionStore(options);
    case 'mysql':
    case 'postgres':
      return new SqlSessionStore(options);
  }
}

export { RedisSessionStore, type RedisSessionStoreOptions } from './redis-session-store.js';
export { retryTransient, type SqlKind, withMigrationLock } from './sql-dialect.js';
export {
  type DatabaseKind,
  type DatabaseOptions,
  openDatabase,
  type SqlStoreOptions,
} from './sql-pools.js';
export { SqlSessionStore, type SqlSessionStoreOptions } from './sql-session-store.js';
export { SqliteSessionStore, type SqliteSessionStoreOptions } from './sqlite-session-store.js';
