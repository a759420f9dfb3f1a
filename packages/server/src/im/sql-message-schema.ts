/**
 * SqlMessageStore's tables and their numbered migrations, recorded in `<prefix>im_migrations` so
 * they live beside the session store's (`<prefix>migrations`) in one database under one prefix.
 * Like sql-schema.ts: applied under a migration lock, each step idempotent (MySQL DDL commits as it
 * goes). Numbers are BIGINT (pg reads them back as strings, mysql2 as numbers); ids are compared
 * exactly (utf8mb4_bin on MySQL). Step 3 adds MariaDB/MySQL's accept procedure (`<prefix>im_accept`,
 * sql-accept-statements.ts); a change to its text is a new step that creates it again.
 */
import { type ColumnType, type Generated, type Kysely, sql } from 'kysely';
import { type SqlKind, tableSuffix, withMigrationLock } from '../stores/sql-dialect.js';
import { mysqlAcceptProcedure, mysqlAcceptProcedureDdl } from './sql-accept-statements.js';

/** A BIGINT as read (string from pg, number from mysql2) and as written. */
type Big = ColumnType<number | string, number, number>;

export interface ImDatabase {
  im_messages: {
    sid: Generated<number | string>;
    conv: string;
    seq: Big;
    sender: string;
    target: string;
    fp: string | null;
    typeu: number;
    content: string;
    created_at: Big;
  };
  im_inbox: { user_id: string; iseq: Big; sid: Big };
  im_cursors: { user_id: string; device: string; iseq: Big };
  /** `conv:<conv>` → the conversation's last seq; `inbox:<user>` → the user's last iseq. */
  im_counters: { name: string; value: Big };
  im_members: { group_id: string; user_id: string };
  im_reads: { conv: string; user_id: string; seq: Big };
  im_migrations: { version: number; applied_at: Big };
}

export const imTables = [
  'im_messages',
  'im_inbox',
  'im_cursors',
  'im_counters',
  'im_members',
  'im_reads',
  'im_migrations',
] as const;

type Migration = (db: Kysely<ImDatabase>, kind: SqlKind, prefix: string) => Promise<void>;

const migrations: Migration[] = [
  async (db, kind, prefix) => {
    await db.schema
      .createTable('im_messages')
      .ifNotExists()
      .addColumn('sid', 'bigint', (c) =>
        kind === 'postgres' ? c.generatedAlwaysAsIdentity().primaryKey() : c.autoIncrement().primaryKey(),
      )
      .addColumn('conv', 'varchar(255)', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('sender', 'varchar(255)', (c) => c.notNull())
      .addColumn('target', 'varchar(255)', (c) => c.notNull())
      .addColumn('fp', 'varchar(255)')
      .addColumn('typeu', 'integer', (c) => c.notNull())
      // Up to 64 KiB of UTF-8: MySQL's TEXT stops one byte short of that.
      .addColumn('content', kind === 'postgres' ? 'text' : sql`mediumtext`, (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint(`${prefix}im_messages_conv_seq`, ['conv', 'seq'])
      .addUniqueConstraint(`${prefix}im_messages_sender_fp`, ['sender', 'fp'])
      .modifyEnd(tableSuffix(kind))
      .execute();
    await db.schema
      .createTable('im_inbox')
      .ifNotExists()
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('iseq', 'bigint', (c) => c.notNull())
      .addColumn('sid', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${prefix}im_inbox_pk`, ['user_id', 'iseq'])
      .modifyEnd(tableSuffix(kind))
      .execute();
    await db.schema
      .createTable('im_cursors')
      .ifNotExists()
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('device', 'varchar(128)', (c) => c.notNull())
      .addColumn('iseq', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${prefix}im_cursors_pk`, ['user_id', 'device'])
      .modifyEnd(tableSuffix(kind))
      .execute();
    await db.schema
      .createTable('im_counters')
      .ifNotExists()
      .addColumn('name', 'varchar(320)', (c) => c.primaryKey())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .modifyEnd(tableSuffix(kind))
      .execute();
    await db.schema
      .createTable('im_members')
      .ifNotExists()
      .addColumn('group_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${prefix}im_members_pk`, ['group_id', 'user_id'])
      .modifyEnd(tableSuffix(kind))
      .execute();
  },
  async (db, kind, prefix) => {
    await db.schema
      .createTable('im_reads')
      .ifNotExists()
      .addColumn('conv', 'varchar(255)', (c) => c.notNull())
      .addColumn('user_id', 'varchar(255)', (c) => c.notNull())
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${prefix}im_reads_pk`, ['conv', 'user_id'])
      .modifyEnd(tableSuffix(kind))
      .execute();
  },
  // The procedure that writes a batch of accepts on MariaDB/MySQL (PostgreSQL's is one statement,
  // no schema object). Dropped first: MySQL has no CREATE OR REPLACE PROCEDURE.
  async (db, kind, prefix) => {
    if (kind !== 'mysql') return;
    await sql.raw(`DROP PROCEDURE IF EXISTS ${mysqlAcceptProcedure(prefix)}`).execute(db);
    await sql.raw(mysqlAcceptProcedureDdl(prefix)).execute(db);
  },
];

export async function migrateMessages(db: Kysely<ImDatabase>, kind: SqlKind, prefix: string): Promise<void> {
  await withMigrationLock(db, kind, `${prefix}im_migrate`, async (db) => {
    await db.schema
      .createTable('im_migrations')
      .ifNotExists()
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('applied_at', 'bigint', (c) => c.notNull())
      .modifyEnd(tableSuffix(kind))
      .execute();
    const done = await db.selectFrom('im_migrations').select('version').execute();
    const applied = new Set(done.map((row) => Number(row.version)));
    for (const [index, step] of migrations.entries()) {
      const version = index + 1;
      if (applied.has(version)) continue;
      await step(db, kind, prefix);
      await db.insertInto('im_migrations').values({ version, applied_at: Date.now() }).execute();
    }
  });
}
