/**
 * The default MessageStore: a SQLite file (or `:memory:`) through better-sqlite3.
 *
 * Writes are group-committed: the accepts and cursor moves asked while no batch is being written
 * go together in the next, one transaction (a device's moves keep the furthest). Where they run:
 * `writer: 'inline'` (the default, and always for `:memory:`, which a thread cannot share) on the
 * event loop, one batch per turn; `'worker'` on a thread with its own connection (ThreadWriter),
 * the event loop keeping a read connection (WAL: reads never wait for the writer, and a read after
 * a write resolved sees it).
 *
 * Inline is the default because the thread did not pay. One node, bench/im/run.ts, 2-core machine
 * shared with the load, 4 runs each alternating: at saturation inline 8,440–9,508 delivered msg/s
 * (median 8,964), the thread 8,121–9,112 (8,723); p99 to delivery at 2,000 msg/s 4.5–11.0 ms
 * against 8.9–16.7 ms; server CPU per message 111–128 µs against 131–141 µs (the copies to and from
 * the thread and its wake-ups cost more than the SQLite work it takes off the event loop). What the
 * thread does give: event-loop delay p99 at saturation 18–24 ms instead of 40–51 ms.
 */

import type { Accepted, InboxEntry, MessageStore, NewMessage, StoredMessage } from '@hutong/core';
import type Database from 'better-sqlite3';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { isFileDatabase, type MessageRow, migrations, openSqlite, toMessage } from './sqlite-im-tables.js';
import type { CursorMove } from './sqlite-write-ops.js';
import { InlineWriter, type SqliteWriter, ThreadWriter } from './sqlite-writer.js';

export type SqliteWriterKind = 'inline' | 'worker';

export interface SqliteMessageStoreOptions {
  /** A file path, or `:memory:` / `''` (written inline whatever `writer` says). */
  file: string;
  busyTimeoutMs?: number;
  /** Where writes run for a file database; default `'inline'`. */
  writer?: SqliteWriterKind;
}

interface Pending {
  message: NewMessage;
  resolve(accepted: Accepted): void;
  reject(error: unknown): void;
}

interface Move extends CursorMove {
  waiters: ((failed: { error: unknown } | undefined) => void)[];
}

export class SqliteMessageStore implements MessageStore {
  /** The event loop's connection: migrations and reads (and every write when inline). */
  readonly #db: Database.Database;
  readonly #reads;
  readonly #writer: SqliteWriter;
  #queue: Pending[] = [];
  /** Cursor moves waiting for the next batch, one per device (the furthest asked). */
  readonly #moves = new Map<string, Move>();
  #scheduled = false;
  /** The batch being written; the next waits for it. */
  #writing: Promise<void> | undefined;
  readonly #checkpointer: SqliteCheckpointer | undefined;

  constructor(options: SqliteMessageStoreOptions) {
    const file = options.file;
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    // Checkpoints of a file run off the event loop (see SqliteCheckpointer).
    this.#db = openSqlite(file, {
      busyTimeoutMs,
      checkpoints: isFileDatabase(file) ? 'elsewhere' : 'on-commit',
    });
    this.#migrate();
    const threaded = isFileDatabase(file) && options.writer === 'worker';
    const writer = threaded ? new ThreadWriter(file, busyTimeoutMs) : new InlineWriter(this.#db);
    this.#writer = writer;
    if (isFileDatabase(file)) {
      // If the checkpointer fails, SQLite checkpoints on commit again rather than letting the WAL grow.
      this.#checkpointer = new SqliteCheckpointer(file, () => writer.checkpointOnCommit());
    }
    const db = this.#db;
    this.#reads = {
      pending: db.prepare<[string, number, number], MessageRow & { iseq: number }>(
        `SELECT i.iseq, m.* FROM im_inbox i JOIN im_messages m ON m.sid = i.sid
         WHERE i.user_id = ? AND i.iseq > ? ORDER BY i.iseq LIMIT ?`,
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
      reads: db.prepare<[string], { user_id: string; seq: number }>(
        'SELECT user_id, seq FROM im_reads WHERE conv = ?',
      ),
      members: db.prepare<[string], { user_id: string }>(
        'SELECT user_id FROM im_members WHERE group_id = ? ORDER BY user_id',
      ),
    };
  }

  /** The writer's thread while it runs (tests end it to exercise the inline fallback). */
  get writerThread() {
    return this.#writer instanceof ThreadWriter ? this.#writer.thread : undefined;
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

  /** The next batch starts at the end of this turn, or when the one being written is done. */
  #schedule(): void {
    if (this.#scheduled || this.#writing) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#writing || (this.#queue.length === 0 && this.#moves.size === 0)) return;
    const items = this.#queue;
    const moves = [...this.#moves.values()];
    this.#queue = [];
    this.#moves.clear();
    const messages = items.map((item) => item.message);
    const plain = moves.map(({ userId, device, iseq }) => ({ userId, device, iseq }));
    this.#writing = this.#writer.batch(messages, plain).then(
      (outcomes) => {
        for (const [i, item] of items.entries()) {
          const outcome = outcomes[i]!;
          if (outcome.ok) item.resolve(outcome.value);
          else item.reject(outcome.error);
        }
        for (const move of moves) for (const waiter of move.waiters) waiter(undefined);
        this.#written();
      },
      (error: unknown) => {
        for (const item of items) item.reject(error);
        for (const move of moves) for (const waiter of move.waiters) waiter({ error });
        this.#written();
      },
    );
  }

  #written(): void {
    this.#writing = undefined;
    if (this.#queue.length > 0 || this.#moves.size > 0) this.#schedule();
  }

  async pending(userId: string, afterIseq: number, limit: number): Promise<InboxEntry[]> {
    return this.#reads.pending
      .all(userId, afterIseq, limit)
      .map((row) => ({ iseq: row.iseq, message: toMessage(row) }));
  }

  async cursor(userId: string, device: string): Promise<number> {
    return this.#reads.cursor.get(userId, device)?.iseq ?? 0;
  }

  async history(conv: string, afterSeq: number, limit: number): Promise<StoredMessage[]> {
    return this.#reads.history.all(conv, afterSeq, limit).map(toMessage);
  }

  async historyBefore(conv: string, beforeSeq: number, limit: number): Promise<StoredMessage[]> {
    return this.#reads.historyBefore.all(conv, beforeSeq, limit).reverse().map(toMessage);
  }

  markRead(conv: string, userId: string, seq: number): Promise<number> {
    return this.#writer.markRead(conv, userId, seq);
  }

  async reads(conv: string): Promise<Record<string, number>> {
    return Object.fromEntries(this.#reads.reads.all(conv).map((row) => [row.user_id, row.seq]));
  }

  setMembers(groupId: string, userIds: readonly string[]): Promise<void> {
    return this.#writer.setMembers(groupId, userIds);
  }

  async members(groupId: string): Promise<string[]> {
    return this.#reads.members.all(groupId).map((row) => row.user_id);
  }

  /** What was asked before close is written, then the writer, the connection and the checkpointer end. */
  async close(): Promise<void> {
    while (this.#writing || this.#queue.length > 0 || this.#moves.size > 0) {
      this.#flush();
      await this.#writing;
    }
    await this.#writer.close();
    this.#db.close();
    await this.#checkpointer?.close();
  }
}
