/**
 * Connection pools for the SQL stores (SqlSessionStore, SqlMessageStore): mysql2 or pg under
 * Kysely, with the table prefix plugin, timeouts on connecting and on every query, and disposal of
 * connections a timeout left unusable, so a stalled or restarted database costs a failed call,
 * never a stuck pool.
 */
import Database from 'better-sqlite3';
import {
  Kysely,
  MysqlDialect,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  SqliteDialect,
} from 'kysely';
import type { Pool as Mysql2Pool, PoolConnection, QueryError } from 'mysql2';
import type pg from 'pg';
import { loadDriver } from '../drivers.js';
import type { SqlDatabase, SqlKind } from './sql-dialect.js';
import { tablePrefixPlugin } from './sql-table-prefix.js';

export interface SqlConnectOptions {
  kind: SqlKind;
  url: string;
  tablePrefix: string;
  /** The tables the prefix applies to; default the session store's. */
  tables?: readonly string[];
  poolSize: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
}

/**
 * Data statements (and procedure calls) are prepared once per connection and reused, their
 * parameters sent apart from the text; DDL goes through plain queries.
 */
const DML = /^\s*(select|insert|update|delete|with|call)\b/i;

/** Named prepared statements per distinct SQL text, bounded so odd queries cannot grow it. */
const statementNames = new Map<string, string>();
function statementName(text: string): string | undefined {
  if (!DML.test(text)) return undefined;
  let name = statementNames.get(text);
  if (!name && statementNames.size < 256) {
    name = `hutong_${statementNames.size}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * mysql2 has no pool-wide query timeout, so each query Kysely sends carries one; a connection
 * whose query timed out is destroyed (its reply may still arrive) and the pool opens a fresh one.
 */
function timedMysqlPool(pool: Mysql2Pool, timeout: number) {
  const wrap = (raw: PoolConnection) => ({
    query(text: string, values: unknown[], callback?: (error: unknown, result: never) => void) {
      if (!callback) return raw.query(text, values);
      const done = (error: QueryError | null, result: unknown) => {
        if (error?.code === 'PROTOCOL_SEQUENCE_TIMEOUT') raw.destroy();
        callback(error, result as never);
      };
      // mysql2's execute() prepares the statement once per connection (server-side) and reuses it.
      if (DML.test(text)) return raw.execute({ sql: text, values, timeout }, done);
      return raw.query({ sql: text, values, timeout }, done);
    },
    release: () => raw.release(),
  });
  return {
    getConnection: (callback: (error: unknown, connection: ReturnType<typeof wrap>) => void) =>
      pool.getConnection((error, raw) => callback(error, error ? (raw as never) : wrap(raw))),
    end: (callback: (error: unknown) => void) => pool.end(callback),
  };
}

/**
 * pg puts a client whose query timed out (or whose socket failed mid-query) back in the pool, where
 * every later query on it would hang behind the lost one; such a client is destroyed on release.
 * Errors the server reported (a DatabaseError) leave the client usable.
 */
function disposingPgPool(pool: pg.Pool, DatabaseError: typeof pg.DatabaseError): PostgresPool {
  return {
    async connect() {
      const client = await pool.connect();
      let broken = false;
      const wrapped = {
        query: (text: string, values: unknown[]) => {
          const name = statementName(text);
          return client.query(name ? { name, text, values } : { text, values }).catch((error: unknown) => {
            if (!(error instanceof DatabaseError)) broken = true;
            throw error;
          });
        },
        release: () => client.release(broken || undefined),
      };
      return wrapped as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}

/** What a SQL-backed store is configured with (the session store and the IM message store). */
export interface SqlStoreOptions {
  kind: SqlKind;
  /** `mysql://user:pass@host:3306/db` or `postgres://user:pass@host:5432/db`. */
  url: string;
  /** Prepended to the table names. Letters, digits and `_`. Default `hutong_`. */
  tablePrefix?: string;
  /** Default 10 connections. */
  poolSize?: number;
  /** Default 2000 ms. */
  connectTimeoutMs?: number;
  /** A query without an answer after this long fails. Default 5000 ms. */
  queryTimeoutMs?: number;
}

/** Store options with their defaults, as `connect` takes them. */
export function connectOptions(options: SqlStoreOptions, tables?: readonly string[]): SqlConnectOptions {
  return {
    kind: options.kind,
    url: options.url,
    tablePrefix: options.tablePrefix ?? 'hutong_',
    ...(tables ? { tables } : {}),
    poolSize: options.poolSize ?? 10,
    connectTimeoutMs: options.connectTimeoutMs ?? 2000,
    queryTimeoutMs: options.queryTimeoutMs ?? 5000,
  };
}

export function connect<DB = SqlDatabase>(options: SqlConnectOptions): Kysely<DB> {
  const tables = options.tables ?? ['users', 'sessions', 'migrations'];
  const plugins = [tablePrefixPlugin(options.tablePrefix, tables)];
  if (options.kind === 'postgres') {
    const pg = loadDriver('pg', 'a PostgreSQL store');
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs,
      query_timeout: options.queryTimeoutMs,
    });
    // A client whose connection dies emits 'error': on the pool while idle, on the client while
    // checked out. Unhandled, either would crash the process; the failure reaches the caller
    // through its query anyway, and the pool then drops the client.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    return new Kysely<DB>({
      dialect: new PostgresDialect({ pool: disposingPgPool(pool, pg.DatabaseError) }),
      plugins,
    });
  }
  const pool = loadDriver('mysql2', 'a MySQL store').createPool({
    uri: options.url,
    connectionLimit: options.poolSize,
    connectTimeout: options.connectTimeoutMs,
    enableKeepAlive: true,
    supportBigNumbers: true,
    charset: 'utf8mb4',
  });
  return new Kysely<DB>({
    dialect: new MysqlDialect({ pool: timedMysqlPool(pool, options.queryTimeoutMs) }),
    plugins,
  });
}

/** Where an application's own tables live: Hutong's SQL store options, or a SQLite file. */
export type DatabaseOptions = { kind: 'sqlite'; file: string } | SqlStoreOptions;

export type DatabaseKind = 'sqlite' | SqlKind;

/**
 * A Kysely database on the same seam as Hutong's stores, for application tables (the demos):
 * SQLite through better-sqlite3 (WAL, a busy timeout), or MySQL/PostgreSQL through the pools above,
 * with `tables` renamed to `<tablePrefix><name>` (default `hutong_`).
 */
export function openDatabase<DB>(options: DatabaseOptions, tables: readonly string[]): Kysely<DB> {
  if (options.kind !== 'sqlite') return connect<DB>(connectOptions(options, tables));
  const database = new Database(options.file);
  database.pragma('busy_timeout = 5000');
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  return new Kysely<DB>({
    dialect: new SqliteDialect({ database }),
    plugins: [tablePrefixPlugin('hutong_', tables)],
  });
}
