/**
 * Where the SQLite IM store's writes run. `InlineWriter`: on the event loop, on the store's own
 * connection (`:memory:`, and files when asked). `ThreadWriter`: a worker thread with its own
 * connection (sqlite-writer-worker.ts) writes, the event loop only hands it batches and reads the
 * answers. Both write one batch as one transaction (SqliteWriteOps); the store sends one batch at a
 * time, so the two behave alike but for where the CPU time goes.
 */

import { Worker } from 'node:worker_threads';
import type { NewMessage } from '@hutong/core';
import { HutongError } from '@hutong/protocol';
import type Database from 'better-sqlite3';
import { openSqlite } from './sqlite-im-tables.js';
import { type CursorMove, type Outcome, sqliteWriteOps } from './sqlite-write-ops.js';
import {
  fromWireError,
  fromWireOutcome,
  type WireOutcome,
  type WriterCall,
  type WriterReply,
  type WriterRequest,
} from './sqlite-writer-protocol.js';

export interface SqliteWriter {
  /** Resolves with one outcome per message; rejects when the transaction as a whole failed. */
  batch(messages: NewMessage[], moves: CursorMove[]): Promise<Outcome[]>;
  markRead(conv: string, userId: string, seq: number): Promise<number>;
  setMembers(groupId: string, userIds: readonly string[]): Promise<void>;
  /** The checkpointer failed: let SQLite checkpoint on commit again rather than let the WAL grow. */
  checkpointOnCommit(): void;
  /** After the writes asked before it; closes the writer's own connection, not the store's. */
  close(): Promise<void>;
}

export class InlineWriter implements SqliteWriter {
  readonly #ops;

  constructor(readonly db: Database.Database) {
    this.#ops = sqliteWriteOps(db);
  }

  async batch(messages: NewMessage[], moves: CursorMove[]): Promise<Outcome[]> {
    return this.#ops.batch(messages, moves);
  }

  async markRead(conv: string, userId: string, seq: number): Promise<number> {
    return this.#ops.markRead(conv, userId, seq);
  }

  async setMembers(groupId: string, userIds: readonly string[]): Promise<void> {
    this.#ops.setMembers(groupId, userIds);
  }

  checkpointOnCommit(): void {
    this.db.pragma('wal_autocheckpoint = 1000');
  }

  async close(): Promise<void> {}
}

interface Call {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Starts the worker module beside this one. In the build (`dist/esm`, ESM only) that is
 * `sqlite-writer-worker.js`. From sources (tsx: `npm test`, `npm start`) it is the `.ts` file, and a
 * worker on Node 20 does not get the parent's `--import tsx` hooks: a small eval'd entry registers
 * tsx in the thread, then imports it.
 */
function startWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./sqlite-writer-worker.js', import.meta.url), { workerData });
  }
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./sqlite-writer-worker.ts', import.meta.url).href;
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}); });`,
    { eval: true, workerData },
  );
}

/**
 * A writer thread for a SQLite file. If the thread dies, the calls it had are rejected with
 * ERR_STORE_UNAVAILABLE (a batch may have committed before the thread died: accepts are idempotent
 * per fp, so the resend that follows finds it) and every later write runs inline on a connection of
 * its own: the store keeps working, on the event loop.
 */
export class ThreadWriter implements SqliteWriter {
  readonly #worker: Worker;
  readonly #calls = new Map<number, Call>();
  #nextId = 1;
  #closing = false;
  #fallback: InlineWriter | undefined;
  #checkpointOnCommit = false;

  constructor(
    readonly file: string,
    readonly busyTimeoutMs: number,
  ) {
    this.#worker = startWorker({ file, busyTimeoutMs });
    this.#worker.unref(); // held (ref) only while calls wait for it
    this.#worker.on('message', (reply: WriterReply) => this.#answer(reply));
    this.#worker.on('error', () => {}); // 'exit' follows and handles it
    this.#worker.on('exit', (code) => {
      if (!this.#closing) this.#die(`the SQLite writer thread ended (exit code ${code})`);
    });
  }

  /** The thread while it runs (tests end it to exercise the fallback). */
  get thread(): Worker | undefined {
    return this.#fallback || this.#closing ? undefined : this.#worker;
  }

  async batch(messages: NewMessage[], moves: CursorMove[]): Promise<Outcome[]> {
    if (this.#fallback) return this.#fallback.batch(messages, moves);
    const wire = (await this.#call({ kind: 'batch', messages, moves })) as WireOutcome[];
    return wire.map((outcome, i) => fromWireOutcome(messages[i]!, outcome));
  }

  async markRead(conv: string, userId: string, seq: number): Promise<number> {
    if (this.#fallback) return this.#fallback.markRead(conv, userId, seq);
    return (await this.#call({ kind: 'markRead', conv, userId, seq })) as number;
  }

  async setMembers(groupId: string, userIds: readonly string[]): Promise<void> {
    if (this.#fallback) return this.#fallback.setMembers(groupId, userIds);
    await this.#call({ kind: 'setMembers', groupId, userIds });
  }

  checkpointOnCommit(): void {
    this.#checkpointOnCommit = true;
    if (this.#fallback) this.#fallback.checkpointOnCommit();
    else this.#worker.postMessage({ kind: 'checkpointOnCommit' } satisfies WriterRequest);
  }

  async close(): Promise<void> {
    if (this.#fallback) {
      this.#fallback.db.close();
      return;
    }
    this.#closing = true;
    this.#worker.ref();
    const exited = new Promise((resolve) => this.#worker.once('exit', resolve));
    // Requests are handled in order: the writes asked before this are done when the thread exits.
    this.#worker.postMessage({ kind: 'close' } satisfies WriterRequest);
    await exited;
    this.#fail('the SQLite writer thread closed'); // nothing should be left; never leave a call hanging
  }

  #call(call: WriterCall): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const id = this.#nextId++;
      if (this.#calls.size === 0) this.#worker.ref();
      this.#calls.set(id, { resolve, reject });
      this.#worker.postMessage({ ...call, id } satisfies WriterRequest);
    });
  }

  #answer(reply: WriterReply): void {
    const call = this.#calls.get(reply.id);
    if (!call) return;
    this.#calls.delete(reply.id);
    if (this.#calls.size === 0) this.#worker.unref();
    if (reply.ok) call.resolve(reply.value);
    else call.reject(fromWireError(reply.error));
  }

  #die(reason: string): void {
    this.#fallback = new InlineWriter(
      openSqlite(this.file, {
        busyTimeoutMs: this.busyTimeoutMs,
        checkpoints: this.#checkpointOnCommit ? 'on-commit' : 'elsewhere',
      }),
    );
    this.#fail(reason);
  }

  #fail(reason: string): void {
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    for (const call of calls) call.reject(new HutongError('ERR_STORE_UNAVAILABLE', reason));
  }
}
