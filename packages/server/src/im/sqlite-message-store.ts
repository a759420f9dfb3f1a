/** The default MessageStore: a SQLite file (or `:memory:`) through better-sqlite3. */

import type { Accepted, InboxEntry, MessageStore, NewMessage, StoredMessage } from '@hutong/core';
import Database from 'better-sqlite3';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';

const migrations: string[] = [
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

interface MessageRow {
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

interface Pending {
  message: NewMessage;
  resolve(accepted: Accepted): void;
  reject(error: unknown): void;
  result?: { ok: true; value: Accepted } | { ok: false; error: unknown };
}

interface CursorMove {
  userId: string;
  device: string;
  iseq: number;
  waiters: ((failed: { error: unknown } | undefined) => void)[];
}

const toMessage = (row: MessageRow): StoredMessage => ({
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

export class SqliteMessageStore implements MessageStore {
  readonly #db: Database.Database;
  readonly #statements;
  readonly #flush: () => void;
  #queue: Pending[] = [];
  /** Cursor moves waiting for the next flush, one per device (the furthest asked). */
  readonly #moves = new Map<string, CursorMove>();
  #scheduled = false;
  readonly #checkpointer: SqliteCheckpointer | undefined;

  constructor(options: { file: string; busyTimeoutMs?: number }) {
    this.#db = new Database(options.file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    if (options.file !== ':memory:' && options.file !== '') {
      // Checkpoints off the event loop (see SqliteCheckpointer).
      this.#db.pragma('wal_autocheckpoint = 0');
      // If the worker fails, SQLite checkpoints on the event loop again rather than letting the WAL grow.
      this.#checkpointer = new SqliteCheckpointer(options.file, () =>
        this.#db.pragma('wal_autocheckpoint = 1000'),
      );
    }
    this.#migrate();
    const db = this.#db;
    this.#statements = {
      byFp: db.prepare<[string, string], MessageRow>('SELECT * FROM im_messages WHERE sender = ? AND fp = ?'),
      next: db.prepare<[string], { value: number }>(
        `INSERT INTO im_counters (name, value) VALUES (?, 1)
         ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`,
      ),
      insert: db.prepare(
        `INSERT INTO im_messages (conv, seq, sender, target, fp, typeu, content, created_at)
         VALUES (@conv, @seq, @sender, @target, @fp, @typeu, @content, @createdAt)`,
      ),
      inbox: db.prepare('INSERT INTO im_inbox (user_id, iseq, sid) VALUES (?, ?, ?)'),
      pending: db.prepare<[string, number, number], MessageRow & { iseq: number }>(
        `SELECT i.iseq, m.* FROM im_inbox i JOIN im_messages m ON m.sid = i.sid
         WHERE i.user_id = ? AND i.iseq > ? ORDER BY i.iseq LIMIT ?`,
      ),
      advance: db.prepare(
        `INSERT INTO im_cursors (user_id, device, iseq) VALUES (?, ?, ?)
         ON CONFLICT (user_id, device) DO UPDATE SET iseq = MAX(iseq, excluded.iseq)`,
      ),
      cursor: db.prepare<[string, string], { iseq: number }>(
        'SELECT iseq FROM im_cursors WHERE user_id = ? AND device = ?',
      ),
      history: db.prepare<[string, number, number], MessageRow>(
        'SELECT * FROM im_messages WHERE conv = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      historyBefore: db.prepare<[string, number, number], MessageRow>(
        'SELECT * FROM im_messages WHERE conv = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
      ),
      markRead: db.prepare<[string, string, number], { seq: number }>(
        `INSERT INTO im_reads (conv, user_id, seq) VALUES (?, ?, ?)
         ON CONFLICT (conv, user_id) DO UPDATE SET seq = MAX(seq, excluded.seq) RETURNING seq`,
      ),
      reads: db.prepare<[string], { user_id: string; seq: number }>(
        'SELECT user_id, seq FROM im_reads WHERE conv = ?',
      ),
      clearMembers: db.prepare('DELETE FROM im_members WHERE group_id = ?'),
      addMember: db.prepare('INSERT OR IGNORE INTO im_members (group_id, user_id) VALUES (?, ?)'),
      members: db.prepare<[string], { user_id: string }>(
        'SELECT user_id FROM im_members WHERE group_id = ? ORDER BY user_id',
      ),
    };
    const s = this.#statements;
    const accept = db.transaction((message: NewMessage): Accepted => {
      if (message.fp !== null) {
        const existing = s.byFp.get(message.sender, message.fp);
        if (existing) return { message: toMessage(existing), duplicate: true, inbox: [] };
      }
      const seq = s.next.get(`conv:${message.conv}`)!.value;
      const { lastInsertRowid } = s.insert.run({ ...message, seq });
      const sid = Number(lastInsertRowid);
      const inbox = [...new Set(message.recipients)].map((userId) => {
        const iseq = s.next.get(`inbox:${userId}`)!.value;
        s.inbox.run(userId, iseq, sid);
        return { userId, iseq };
      });
      const { recipients: _recipients, ...stored } = message;
      return { message: { ...stored, sid, seq }, duplicate: false, inbox };
    });
    // One transaction for every message that arrived in this turn of the event loop (group commit):
    // each message is its own savepoint inside it, so one failing does not undo the others.
    // IMMEDIATE: take the write lock first, so two processes on one file never deadlock upgrading.
    // Cursor moves of the same turn go in the same transaction (the hub moves every device's
    // cursor once per tick: one commit, not one per device).
    const batch = db.transaction((items: Pending[], moves: CursorMove[]) => {
      for (const item of items) {
        try {
          item.result = { ok: true, value: accept(item.message) };
        } catch (error) {
          item.result = { ok: false, error };
        }
      }
      for (const move of moves) s.advance.run(move.userId, move.device, move.iseq);
    });
    this.#flush = () => {
      this.#scheduled = false;
      if (this.#queue.length === 0 && this.#moves.size === 0) return;
      const items = this.#queue;
      const moves = [...this.#moves.values()];
      this.#queue = [];
      this.#moves.clear();
      let failed: { error: unknown } | undefined;
      try {
        batch.immediate(items, moves);
      } catch (error) {
        failed = { error };
        for (const item of items) item.result = { ok: false, error };
      }
      for (const item of items) {
        const result = item.result!;
        if (result.ok) item.resolve(result.value);
        else item.reject(result.error);
      }
      for (const move of moves) for (const waiter of move.waiters) waiter(failed);
    };
  }

  /**
   * Applies the steps not yet recorded in `user_version`, reading it inside an IMMEDIATE
   * transaction: processes sharing the file (`hutong start --workers N`) take turns, and the ones
   * after the first find the work done.
   */
  #migrate(): void {
    this.#db
      .transaction(() => {
        const version = this.#db.pragma('user_version', { simple: true }) as number;
        for (let step = version; step < migrations.length; step += 1) {
          this.#db.exec(migrations[step]!);
          this.#db.pragma(`user_version = ${step + 1}`);
        }
      })
      .immediate();
  }

  async migrate(): Promise<void> {
    this.#migrate();
  }

  accept(message: NewMessage): Promise<Accepted> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ message, resolve, reject });
      this.#schedule();
    });
  }

  async pending(userId: string, afterIseq: number, limit: number): Promise<InboxEntry[]> {
    return this.#statements.pending
      .all(userId, afterIseq, limit)
      .map((row) => ({ iseq: row.iseq, message: toMessage(row) }));
  }

  advance(userId: string, device: string, iseq: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const key = `${userId}\u0000${device}`;
      const move = this.#moves.get(key);
      const done = (failed: { error: unknown } | undefined) => (failed ? reject(failed.error) : resolve());
      if (move) {
        move.iseq = Math.max(move.iseq, iseq);
        move.waiters.push(done);
      } else this.#moves.set(key, { userId, device, iseq, waiters: [done] });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#flush);
  }

  async cursor(userId: string, device: string): Promise<number> {
    return this.#statements.cursor.get(userId, device)?.iseq ?? 0;
  }

  async history(conv: string, afterSeq: number, limit: number): Promise<StoredMessage[]> {
    return this.#statements.history.all(conv, afterSeq, limit).map(toMessage);
  }

  async historyBefore(conv: string, beforeSeq: number, limit: number): Promise<StoredMessage[]> {
    return this.#statements.historyBefore.all(conv, beforeSeq, limit).reverse().map(toMessage);
  }

  async markRead(conv: string, userId: string, seq: number): Promise<number> {
    return this.#statements.markRead.get(conv, userId, seq)!.seq;
  }

  async reads(conv: string): Promise<Record<string, number>> {
    return Object.fromEntries(this.#statements.reads.all(conv).map((row) => [row.user_id, row.seq]));
  }

  async setMembers(groupId: string, userIds: readonly string[]): Promise<void> {
    this.#db.transaction(() => {
      this.#statements.clearMembers.run(groupId);
      for (const userId of new Set(userIds)) this.#statements.addMember.run(groupId, userId);
    })();
  }

  async members(groupId: string): Promise<string[]> {
    return this.#statements.members.all(groupId).map((row) => row.user_id);
  }

  async close(): Promise<void> {
    this.#flush(); // what was asked before close is written
    this.#db.close();
    await this.#checkpointer?.close();
  }
}
