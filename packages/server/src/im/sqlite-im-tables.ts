/**
 * The SQLite IM store's tables, row shape and connection settings, shared by the store (its read
 * connection, its migrations) and the writer (inline or on its thread).
 */
import type { StoredMessage } from '@hutong/core';
import Database from 'better-sqlite3';

/** Step n is applied when `user_version` is n; never edit a shipped step, append one. */
export const migrations: string[] = [
  `CREATE TABLE im_messages (
     sid INTEGER PRIMARY KEY AUTOINCREMENT, conv TEXT NOT NULL, seq INTEGER NOT NULL,
     sender TEXT NOT NULL, target TEXT NOT NULL, fp TEXT, typeu INTEGER NOT NULL,
     content TEXT NOT NULL, created_at INTEGER NOT NULL, UNIQUE (conv, seq), UNIQUE (sender, fp));
   CREATE TABLE im_inbox (
     user_id TEXT NOT NULL, iseq INTEGER NOT NULL, sid INTEGER NOT NULL, PRIMARY KEY (user_id, iseq))
     WITHOUT ROWID;
   CREATE TABLE im_cursors (
     user_id TEXT NOT NULL, device TEXT NOT NULL, iseq INTEGER NOT NULL, PRIMARY KEY (user_id, device))
     WITHOUT ROWID;
   CREATE TABLE im_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE im_members (
     group_id TEXT NOT NULL, user_id TEXT NOT NULL, PRIMARY KEY (group_id, user_id)) WITHOUT ROWID;`,
  `CREATE TABLE im_reads (
     conv TEXT NOT NULL, user_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (conv, user_id)) WITHOUT ROWID;`,
];

export interface MessageRow {
  sid: number;
  conv: string;
  seq: number;
  sender: string;
  target: string;
  fp: string | null;
  typeu: number;
  content: string;
  created_at: number;
}

export const toMessage = (row: MessageRow): StoredMessage => ({
  sid: row.sid,
  conv: row.conv,
  seq: row.seq,
  sender: row.sender,
  target: row.target,
  fp: row.fp,
  typeu: row.typeu,
  content: row.content,
  createdAt: row.created_at,
});

export const isFileDatabase = (file: string): boolean => file !== ':memory:' && file !== '';

/**
 * A connection in WAL mode (readers never wait for the writer), `synchronous = NORMAL` (a commit
 * survives a process crash; an OS crash may lose the last ones). `checkpoints: 'elsewhere'` turns
 * SQLite's checkpoint-on-commit off, for a file whose checkpoints a SqliteCheckpointer runs.
 */
export function openSqlite(
  file: string,
  options: { busyTimeoutMs: number; checkpoints: 'on-commit' | 'elsewhere' },
): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
  if (options.checkpoints === 'elsewhere') db.pragma('wal_autocheckpoint = 0');
  return db;
}
