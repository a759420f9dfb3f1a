/**
 * The SQL schema as numbered migrations, recorded in `<prefix>migrations`. `migrate` runs under
 * the migration lock (see sql-dialect.ts), so nodes starting together apply each step once; steps
 * are idempotent as well, because MySQL commits DDL as it goes and a crash can leave one half done.
 */
import type { Kysely } from 'kysely';
import {
  createIndexIfMissing,
  type SqlDatabase,
  type SqlKind,
  tableSuffix,
  withMigrationLock,
} from './sql-dialect.js';

type Migration = (db: Kysely<SqlDatabase>, kind: SqlKind, prefix: string) => Promise<void>;

const migrations: Migration[] = [
  async (db, kind, prefix) => {
    await db.schema
      .createTable('users')
      .ifNotExists()
      .addColumn('id', 'char(32)', (c) => c.primaryKey())
      .addColumn('appid', 'varchar(64)', (c) => c.notNull())
      .addColumn('openid', 'varchar(128)', (c) => c.notNull())
      .addColumn('unionid', 'varchar(128)')
      .addColumn('profile', 'text')
      .addColumn('phone_number', 'varchar(64)')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint(`${prefix}users_login`, ['appid', 'openid'])
      .modifyEnd(tableSuffix(kind))
      .execute();
    await db.schema
      .createTable('sessions')
      .ifNotExists()
      .addColumn('skey', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('user_id', 'char(32)', (c) => c.notNull())
      .addColumn('appid', 'varchar(64)', (c) => c.notNull())
      .addColumn('openid', 'varchar(128)', (c) => c.notNull())
      .addColumn('session_key', 'varchar(255)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('idle_expires_at', 'bigint', (c) => c.notNull())
      .modifyEnd(tableSuffix(kind))
      .execute();
    await createIndexIfMissing(db, kind, `${prefix}sessions_user_id`, 'sessions', ['user_id']);
  },
];

export async function migrate(db: Kysely<SqlDatabase>, kind: SqlKind, prefix: string): Promise<void> {
  await withMigrationLock(db, kind, `${prefix}migrate`, async (db) => {
    await db.schema
      .createTable('migrations')
      .ifNotExists()
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('applied_at', 'bigint', (c) => c.notNull())
      .modifyEnd(tableSuffix(kind))
      .execute();
    const done = await db.selectFrom('migrations').select('version').execute();
    const applied = new Set(done.map((row) => Number(row.version)));
    for (const [index, step] of migrations.entries()) {
      const version = index + 1;
      if (applied.has(version)) continue;
      await step(db, kind, prefix);
      await db.insertInto('migrations').values({ version, applied_at: Date.now() }).execute();
    }
  });
}
