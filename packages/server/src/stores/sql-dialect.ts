/**
 * Where MariaDB/MySQL and PostgreSQL differ for SqlSessionStore, kept here (and in sql-pools.ts
 * for connections) so the store itself is one Kysely implementation: column types and table
 * options, upsert syntax, the migration lock and which errors are worth a retry.
 */
import { type ColumnType, type InsertObject, type Kysely, sql } from 'kysely';
import type { UpsertFields, UserRow } from './store-support.js';

export type SqlKind = 'mysql' | 'postgres';

/** Epoch milliseconds in a BIGINT: pg reads it back as a string, mysql2 as a number. */
type Millis = ColumnType<number | string, number, number>;

export interface SqlDatabase {
  users: Omit<UserRow, 'created_at' | 'updated_at'> & { created_at: Millis; updated_at: Millis };
  sessions: {
    skey: string;
    user_id: string;
    appid: string;
    openid: string;
    session_key: string;
    created_at: Millis;
    last_seen_at: Millis;
    expires_at: Millis;
    idle_expires_at: Millis;
  };
  migrations: { version: number; applied_at: Millis };
}

/** Table options: InnoDB for transactions; binary collation so openids and skeys compare exactly. */
export function tableSuffix(kind: SqlKind) {
  return kind === 'mysql' ? sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin` : sql``;
}

/** MySQL 8 has no CREATE INDEX IF NOT EXISTS; a duplicate key name (1061) means it is there. */
export async function createIndexIfMissing(
  db: Kysely<SqlDatabase>,
  kind: SqlKind,
  name: string,
  table: 'sessions',
  columns: string[],
): Promise<void> {
  if (kind === 'postgres') {
    await db.schema.createIndex(name).ifNotExists().on(table).columns(columns).execute();
    return;
  }
  try {
    await db.schema.createIndex(name).on(table).columns(columns).execute();
  } catch (error) {
    if ((error as { errno?: number }).errno !== 1061) throw error;
  }
}

/**
 * Runs `fn` while holding a lock every process migrating the same tables respects: a transaction-
 * scoped advisory lock on PostgreSQL (whose DDL is transactional too), GET_LOCK on MySQL (whose
 * DDL commits implicitly, hence idempotent steps).
 */
export function withMigrationLock<DB, T>(
  db: Kysely<DB>,
  kind: SqlKind,
  name: string,
  fn: (db: Kysely<DB>) => Promise<T>,
): Promise<T> {
  if (kind === 'postgres') {
    return db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${name}))`.execute(trx);
      return fn(trx);
    });
  }
  return db.connection().execute(async (conn) => {
    const { rows } = await sql<{ ok: number | null }>`select get_lock(${name}, 30) as ok`.execute(conn);
    if (Number(rows[0]?.ok) !== 1) throw new Error(`timed out waiting for the migration lock ${name}`);
    try {
      return await fn(conn);
    } finally {
      await sql`select release_lock(${name})`.execute(conn);
    }
  });
}

/** Inserts the user or updates the given fields, atomically per (appid, openid); returns the row. */
export async function upsertUserRow(
  db: Kysely<SqlDatabase>,
  kind: SqlKind,
  row: InsertObject<SqlDatabase, 'users'> & { appid: string; openid: string },
  updates: UpsertFields & { updated_at: number },
) {
  const insert = db.insertInto('users').values(row);
  if (kind === 'postgres') {
    return insert
      .onConflict((oc) => oc.columns(['appid', 'openid']).doUpdateSet(updates))
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  await insert.onDuplicateKeyUpdate(updates).execute();
  return db
    .selectFrom('users')
    .selectAll()
    .where('appid', '=', row.appid)
    .where('openid', '=', row.openid)
    .executeTakeFirstOrThrow();
}

/** Deadlocks and serialization failures are resolved by running the statement again. */
function isTransient(error: unknown): boolean {
  const e = error as { errno?: number; code?: string };
  return e.errno === 1213 || e.errno === 1205 || e.code === '40P01' || e.code === '40001';
}

/**
 * An error the database raised about the data of a statement (SQLSTATE classes 22 and 23: a value
 * too long, a bad encoding, a constraint), not about the connection or the server: the same
 * statement without the offending row would have worked.
 */
export function isDataError(error: unknown): boolean {
  const e = error as { errno?: number; code?: unknown; sqlState?: unknown };
  // pg: `code` is the SQLSTATE; mysql2: `sqlState`. MySQL reports HY000 for an invalid string
  // value (1366) and for JSON it cannot read (4036–4038).
  const state = typeof e.sqlState === 'string' ? e.sqlState : typeof e.code === 'string' ? e.code : '';
  return /^2[23][0-9A-Z]{3}$/.test(state) || [1366, 4036, 4037, 4038].includes(e.errno ?? 0);
}

/**
 * InnoDB may report a deadlock when several connections upsert one new row at once (the unique
 * index gap locks); the retry then finds the row and updates it.
 */
export async function retryTransient<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts || !isTransient(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}
