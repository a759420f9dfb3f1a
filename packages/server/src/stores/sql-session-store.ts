/**
 * SessionStore on MariaDB/MySQL (mysql2 pool) or PostgreSQL (pg pool): one Kysely implementation,
 * with what differs between the two in sql-dialect.ts. Tables are `<prefix>users`,
 * `<prefix>sessions` and `<prefix>migrations`; times are BIGINT epoch milliseconds.
 */

import type { SessionRecord, SessionStore, SessionWithUser, UserRecord, UserUpsert } from '@hutong/core';
import { type CompiledQuery, type Kysely, sql } from 'kysely';
import { retryTransient, type SqlDatabase, type SqlKind, upsertUserRow } from './sql-dialect.js';
import { connect, connectOptions, type SqlStoreOptions } from './sql-pools.js';
import { migrate } from './sql-schema.js';
import {
  fromSession,
  guard,
  type JoinedRow,
  newUserId,
  splitJoined,
  toSession,
  toUser,
  upsertFields,
} from './store-support.js';

export type SqlSessionStoreOptions = SqlStoreOptions;

export class SqlSessionStore implements SessionStore {
  readonly kind: SqlKind;
  readonly #db: Kysely<SqlDatabase>;
  readonly #prefix: string;
  readonly #getSessionQuery: CompiledQuery<JoinedRow>;

  constructor(options: SqlSessionStoreOptions) {
    this.kind = options.kind;
    const connection = connectOptions(options);
    this.#prefix = connection.tablePrefix;
    this.#db = connect(connection);
    this.#getSessionQuery = this.#db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .selectAll('sessions')
      .select([
        'users.id as u_id',
        'users.appid as u_appid',
        'users.openid as u_openid',
        'users.unionid as u_unionid',
        'users.profile as u_profile',
        'users.phone_number as u_phone_number',
        'users.created_at as u_created_at',
        'users.updated_at as u_updated_at',
      ])
      .where('sessions.skey', '=', '')
      .where('sessions.expires_at', '>', 0)
      .where('sessions.idle_expires_at', '>', 0)
      .compile() as CompiledQuery<JoinedRow>;
  }

  #guard<T>(op: string, fn: (db: Kysely<SqlDatabase>) => Promise<T>): Promise<T> {
    return guard(this.kind, op, () => fn(this.#db));
  }

  init(): Promise<void> {
    return this.#guard('init', (db) => migrate(db, this.kind, this.#prefix));
  }

  upsertUser(input: UserUpsert, now: number): Promise<UserRecord> {
    return this.#guard('upsertUser', async (db) => {
      const fields = upsertFields(input);
      const row = {
        id: newUserId(),
        appid: input.appid,
        openid: input.openid,
        created_at: now,
        updated_at: now,
      };
      const updates = { ...fields, updated_at: now };
      return toUser(await retryTransient(() => upsertUserRow(db, this.kind, { ...row, ...fields }, updates)));
    });
  }

  getUser(appid: string, openid: string): Promise<UserRecord | null> {
    return this.#guard('getUser', async (db) => {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('appid', '=', appid)
        .where('openid', '=', openid)
        .executeTakeFirst();
      return row ? toUser(row) : null;
    });
  }

  getUserById(id: string): Promise<UserRecord | null> {
    return this.#guard('getUserById', async (db) => {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toUser(row) : null;
    });
  }

  /** With replacement, the user's row is locked first so concurrent replacements run one by one. */
  createSession(session: SessionRecord, options: { replaceUserSessions: boolean }): Promise<void> {
    return this.#guard('createSession', async (db) => {
      const insert = (trx: Kysely<SqlDatabase>) =>
        trx.insertInto('sessions').values(fromSession(session)).execute();
      if (!options.replaceUserSessions) {
        await insert(db);
        return;
      }
      await retryTransient(() =>
        db.transaction().execute(async (trx) => {
          await trx.selectFrom('users').select('id').where('id', '=', session.userId).forUpdate().execute();
          await trx.deleteFrom('sessions').where('user_id', '=', session.userId).execute();
          await insert(trx);
        }),
      );
    });
  }

  getSession(skey: string, now: number): Promise<SessionWithUser | null> {
    return this.#guard('getSession', async (db) => {
      // The hot path: compiled once, run with fresh parameters (skey, now, now in SQL order).
      const { rows } = await db.executeQuery<JoinedRow>({
        ...this.#getSessionQuery,
        parameters: [skey, now, now],
      });
      const row = rows[0];
      return row ? splitJoined(row) : null;
    });
  }

  touchSession(skey: string, lastSeenAt: number, idleExpiresAt: number): Promise<void> {
    return this.#guard('touchSession', async (db) => {
      await db
        .updateTable('sessions')
        .set({ last_seen_at: lastSeenAt, idle_expires_at: idleExpiresAt })
        .where('skey', '=', skey)
        .where('expires_at', '>', lastSeenAt)
        .where('idle_expires_at', '>', lastSeenAt)
        .execute();
    });
  }

  deleteSession(skey: string): Promise<boolean> {
    return this.#guard('deleteSession', async (db) => {
      const result = await db.deleteFrom('sessions').where('skey', '=', skey).executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  deleteUserSessions(userId: string): Promise<number> {
    return this.#guard('deleteUserSessions', async (db) => {
      const result = await db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  listUserSessions(userId: string, now: number): Promise<SessionRecord[]> {
    return this.#guard('listUserSessions', async (db) => {
      const rows = await db
        .selectFrom('sessions')
        .selectAll()
        .where('user_id', '=', userId)
        .where('expires_at', '>', now)
        .where('idle_expires_at', '>', now)
        .orderBy('created_at', 'desc')
        .orderBy('skey', 'desc')
        .execute();
      return rows.map(toSession);
    });
  }

  purgeExpired(now: number): Promise<number> {
    return this.#guard('purgeExpired', async (db) => {
      const result = await db
        .deleteFrom('sessions')
        .where((eb) => eb.or([eb('expires_at', '<=', now), eb('idle_expires_at', '<=', now)]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  ping(): Promise<void> {
    return this.#guard('ping', async (db) => {
      await sql`select 1`.execute(db);
    });
  }

  /** Ends the pool: waits for queries in flight, then closes every connection. */
  close(): Promise<void> {
    return this.#guard('close', () => this.#db.destroy());
  }
}
