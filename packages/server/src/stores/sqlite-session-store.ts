/**
 * The default SessionStore: one SQLite file through better-sqlite3's synchronous prepared
 * statements. WAL mode lets readers run beside the writer; `busy_timeout` makes several processes
 * on one file wait for each other instead of failing at once.
 */

import type { SessionRecord, SessionStore, SessionWithUser, UserRecord, UserUpsert } from '@hutong/core';
import Database from 'better-sqlite3';
import { LruMap } from './lru-map.js';
import {
  fromSession,
  guard,
  isLive,
  type JoinedRow,
  newUserId,
  type SessionRow,
  splitJoined,
  toSession,
  toUser,
  type UserRow,
  upsertFields,
} from './store-support.js';

export interface SqliteSessionStoreOptions {
  /** A file path, or `:memory:` for a private in-process database. */
  file: string;
  /**
   * Sessions kept decoded in memory. Exact: our own writes drop what they touch, and a commit by
   * any other connection to the file (`PRAGMA data_version` changes) empties the cache before the
   * next read. Default 10,000; 0 turns it off.
   */
  cacheEntries?: number;
  /** How long a write waits for another process's lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
}

/**
 * Schema steps, applied in order; `PRAGMA user_version` records how many ran. Both tables are
 * WITHOUT ROWID: the text primary key is the table's own B-tree, so a session lookup is one
 * descent instead of an index probe plus a rowid probe.
 */
const migrations: string[] = [
  `CREATE TABLE users (
     id TEXT PRIMARY KEY, appid TEXT NOT NULL, openid TEXT NOT NULL, unionid TEXT, profile TEXT,
     phone_number TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, UNIQUE (appid, openid))
     WITHOUT ROWID;
   CREATE TABLE sessions (
     skey TEXT PRIMARY KEY, user_id TEXT NOT NULL, appid TEXT NOT NULL, openid TEXT NOT NULL,
     session_key TEXT NOT NULL, created_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL, idle_expires_at INTEGER NOT NULL) WITHOUT ROWID;
   CREATE INDEX sessions_user_id ON sessions (user_id);`,
];

const live = 'expires_at > @now AND idle_expires_at > @now';

/** `@set_x` is 1 when the upsert writes x; otherwise the stored value is kept. */
const upsertSql = `
  INSERT INTO users (id, appid, openid, unionid, profile, phone_number, created_at, updated_at)
  VALUES (@id, @appid, @openid, @unionid, @profile, @phone_number, @now, @now)
  ON CONFLICT (appid, openid) DO UPDATE SET
    unionid = CASE WHEN @set_unionid THEN excluded.unionid ELSE unionid END,
    profile = CASE WHEN @set_profile THEN excluded.profile ELSE profile END,
    phone_number = CASE WHEN @set_phone_number THEN excluded.phone_number ELSE phone_number END,
    updated_at = excluded.updated_at
  RETURNING *`;

const getSessionSql = `
  SELECT s.*, u.id AS u_id, u.appid AS u_appid, u.openid AS u_openid, u.unionid AS u_unionid,
    u.profile AS u_profile, u.phone_number AS u_phone_number, u.created_at AS u_created_at,
    u.updated_at AS u_updated_at
  FROM sessions s JOIN users u ON u.id = s.user_id
  WHERE s.skey = @skey AND s.expires_at > @now AND s.idle_expires_at > @now`;

function prepareAll(db: Database.Database) {
  return {
    upsert: db.prepare<Record<string, unknown>, UserRow>(upsertSql),
    userByLogin: db.prepare<[string, string], UserRow>('SELECT * FROM users WHERE appid = ? AND openid = ?'),
    userById: db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?'),
    insertSession: db.prepare<SessionRow>(
      `INSERT INTO sessions (skey, user_id, appid, openid, session_key, created_at, last_seen_at, expires_at,
         idle_expires_at)
       VALUES (@skey, @user_id, @appid, @openid, @session_key, @created_at, @last_seen_at, @expires_at,
         @idle_expires_at)`,
    ),
    getSession: db.prepare<{ skey: string; now: number }, JoinedRow>(getSessionSql),
    touch: db.prepare<{ skey: string; now: number; idle: number }>(
      `UPDATE sessions SET last_seen_at = @now, idle_expires_at = @idle WHERE skey = @skey AND ${live}`,
    ),
    deleteSession: db.prepare<[string]>('DELETE FROM sessions WHERE skey = ?'),
    deleteUserSessions: db.prepare<[string]>('DELETE FROM sessions WHERE user_id = ?'),
    listUserSessions: db.prepare<{ user: string; now: number }, SessionRow>(
      `SELECT * FROM sessions WHERE user_id = @user AND ${live} ORDER BY created_at DESC, skey DESC`,
    ),
    purge: db.prepare<{ now: number }>(`DELETE FROM sessions WHERE NOT (${live})`),
    ping: db.prepare('SELECT 1'),
    dataVersion: db.prepare('PRAGMA data_version').pluck(),
  };
}

export class SqliteSessionStore implements SessionStore {
  readonly kind = 'sqlite';
  readonly #options: SqliteSessionStoreOptions;
  #db: Database.Database | undefined;
  #statements: ReturnType<typeof prepareAll> | undefined;
  readonly #cache: LruMap<string, SessionWithUser> | undefined;
  #cacheVersion: unknown;

  constructor(options: SqliteSessionStoreOptions) {
    this.#options = options;
    const entries = options.cacheEntries ?? 10_000;
    this.#cache = entries > 0 ? new LruMap(entries) : undefined;
  }

  /** Opens the file (once) and migrates under an IMMEDIATE transaction, so concurrent inits queue. */
  init(): Promise<void> {
    return guard('sqlite', 'init', () => {
      if (!this.#db) {
        const db = new Database(this.#options.file);
        db.pragma(`busy_timeout = ${Math.trunc(this.#options.busyTimeoutMs ?? 5000)}`);
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        this.#db = db;
      }
      const db = this.#db;
      db.transaction(() => {
        const version = db.pragma('user_version', { simple: true }) as number;
        for (const [index, step] of migrations.entries()) {
          if (index < version) continue;
          db.exec(step);
          db.pragma(`user_version = ${index + 1}`);
        }
      }).immediate();
      this.#statements = prepareAll(db);
    });
  }

  #run<T>(op: string, fn: (s: ReturnType<typeof prepareAll>, db: Database.Database) => T): Promise<T> {
    return guard('sqlite', op, () => {
      if (!this.#db?.open || !this.#statements) throw new Error('store is not initialised or is closed');
      return fn(this.#statements, this.#db);
    });
  }

  upsertUser(input: UserUpsert, now: number): Promise<UserRecord> {
    return this.#run('upsertUser', (s) => {
      const fields = upsertFields(input);
      const row = s.upsert.get({
        id: newUserId(),
        appid: input.appid,
        openid: input.openid,
        unionid: fields.unionid ?? null,
        profile: fields.profile ?? null,
        phone_number: fields.phone_number ?? null,
        set_unionid: 'unionid' in fields ? 1 : 0,
        set_profile: 'profile' in fields ? 1 : 0,
        set_phone_number: 'phone_number' in fields ? 1 : 0,
        now,
      });
      if (!row) throw new Error('upsert returned no row');
      const user = toUser(row);
      this.#cache?.deleteWhere((entry) => entry.user.id === user.id);
      return user;
    });
  }

  getUser(appid: string, openid: string): Promise<UserRecord | null> {
    return this.#run('getUser', (s) => {
      const row = s.userByLogin.get(appid, openid);
      return row ? toUser(row) : null;
    });
  }

  getUserById(id: string): Promise<UserRecord | null> {
    return this.#run('getUserById', (s) => {
      const row = s.userById.get(id);
      return row ? toUser(row) : null;
    });
  }

  createSession(session: SessionRecord, options: { replaceUserSessions: boolean }): Promise<void> {
    return this.#run('createSession', (s, db) => {
      db.transaction(() => {
        if (options.replaceUserSessions) {
          this.#cache?.deleteWhere((entry) => entry.session.userId === session.userId);
          s.deleteUserSessions.run(session.userId);
        }
        s.insertSession.run(fromSession(session));
      }).immediate();
    });
  }

  getSession(skey: string, now: number): Promise<SessionWithUser | null> {
    return this.#run('getSession', (s) => {
      const cache = this.#cache;
      if (!cache) {
        const row = s.getSession.get({ skey, now });
        return row ? splitJoined(row) : null;
      }
      const version = s.dataVersion.get();
      if (version !== this.#cacheVersion) {
        cache.clear();
        this.#cacheVersion = version;
      }
      let found = cache.get(skey);
      if (!found) {
        const row = s.getSession.get({ skey, now });
        if (!row) return null;
        found = splitJoined(row);
        cache.set(skey, found);
      }
      // Callers may replace fields of what they get; the cached pair stays as read.
      return isLive(found.session, now) ? { session: found.session, user: found.user } : null;
    });
  }

  touchSession(skey: string, lastSeenAt: number, idleExpiresAt: number): Promise<void> {
    return this.#run('touchSession', (s) => {
      s.touch.run({ skey, now: lastSeenAt, idle: idleExpiresAt });
      this.#cache?.delete(skey);
    });
  }

  deleteSession(skey: string): Promise<boolean> {
    return this.#run('deleteSession', (s) => {
      this.#cache?.delete(skey);
      return s.deleteSession.run(skey).changes > 0;
    });
  }

  deleteUserSessions(userId: string): Promise<number> {
    return this.#run('deleteUserSessions', (s) => {
      this.#cache?.deleteWhere((entry) => entry.session.userId === userId);
      return s.deleteUserSessions.run(userId).changes;
    });
  }

  listUserSessions(userId: string, now: number): Promise<SessionRecord[]> {
    return this.#run('listUserSessions', (s) => s.listUserSessions.all({ user: userId, now }).map(toSession));
  }

  purgeExpired(now: number): Promise<number> {
    return this.#run('purgeExpired', (s) => s.purge.run({ now }).changes);
  }

  ping(): Promise<void> {
    return this.#run('ping', (s) => {
      s.ping.get();
    });
  }

  async close(): Promise<void> {
    this.#cache?.clear();
    this.#statements = undefined;
    this.#db?.close();
    this.#db = undefined;
  }
}
