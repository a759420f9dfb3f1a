/**
 * MessageStore on MariaDB/MySQL (mysql2 pool) or PostgreSQL (pg pool) through Kysely, with the
 * session store's connection handling (sql-pools.ts): tables in sql-message-schema.ts, `accept`
 * and how it keeps the guarantees across nodes in sql-message-accept.ts. Accepts and cursor moves
 * are group-committed (group-commit.ts): those that arrive while a batch is being written go
 * together in the next, one round trip and one commit per batch. A failing database call rejects
 * with ERR_STORE_UNAVAILABLE (the driver's error as its `cause`), and so does an accept or a
 * cursor move refused because too many already wait (`maxQueued`): the caller tries again later.
 */

import type { Accepted, InboxEntry, MessageStore, NewMessage, StoredMessage } from '@hutong/core';
import { HutongError } from '@hutong/protocol';
import type { Kysely } from 'kysely';
import { GroupCommit } from '../stores/group-commit.js';
import { retryTransient, type SqlKind } from '../stores/sql-dialect.js';
import { connect, connectOptions, type SqlStoreOptions } from '../stores/sql-pools.js';
import { type CursorMove, cursorWriter } from './sql-cursor-batch.js';
import { acceptBatch, batchWriter } from './sql-message-accept.js';
import { chunks, messageColumns, toMessage } from './sql-message-rows.js';
import { type ImDatabase, imTables, migrateMessages } from './sql-message-schema.js';

/** As the session store's (the IM tables are `<prefix>im_*`), and the group-commit limits. */
export interface SqlMessageStoreOptions extends SqlStoreOptions {
  /** Accepts written in one batch (one transaction). Default 128. */
  maxBatch?: number;
  /**
   * Accepts waiting for a batch; one more is refused at once with ERR_STORE_UNAVAILABLE. Default
   * 4096, the IM hub's own `maxPendingAccepts`, which refuses first (with a `retryAfterMs`): this
   * bound is for other callers. A message is at most 64 KiB of content.
   */
  maxQueued?: number;
  /** Characters of content in one batch (a longer message still goes, alone). Default 1 Mi. */
  maxBatchContent?: number;
}

/** Cursor moves: one per device per tick; a batch of them is one statement of small rows. */
const cursorLimits = { maxBatch: 1024, maxQueued: 65_536 };

export class SqlMessageStore implements MessageStore {
  readonly kind: SqlKind;
  readonly #db: Kysely<ImDatabase>;
  readonly #prefix: string;
  readonly #accepts: GroupCommit<NewMessage, Accepted>;
  readonly #cursors: GroupCommit<CursorMove, void>;

  constructor(options: SqlMessageStoreOptions) {
    this.kind = options.kind;
    const connection = connectOptions(options, imTables);
    this.#prefix = connection.tablePrefix;
    this.#db = connect<ImDatabase>(connection);
    const maxQueued = options.maxQueued ?? 4096;
    const full = (what: string, limit: number) => () =>
      new HutongError('ERR_STORE_UNAVAILABLE', `${this.kind} message store: ${limit} ${what} wait already`, {
        details: { maxQueued: limit },
      });
    const write = batchWriter(this.#db, this.kind, this.#prefix);
    this.#accepts = new GroupCommit((messages) => acceptBatch(write, messages), full('accepts', maxQueued), {
      maxBatch: options.maxBatch ?? 128,
      maxQueued,
      maxBatchWeight: options.maxBatchContent ?? 1 << 20,
      weight: (message) => message.content.length,
    });
    const cursors = cursorWriter(this.#db, this.kind, this.#prefix);
    this.#cursors = new GroupCommit(cursors, full('cursor moves', cursorLimits.maxQueued), cursorLimits);
  }

  async #guard<T>(op: string, fn: (db: Kysely<ImDatabase>) => Promise<T>): Promise<T> {
    try {
      return await fn(this.#db);
    } catch (cause) {
      if (cause instanceof HutongError) throw cause;
      throw new HutongError('ERR_STORE_UNAVAILABLE', `${this.kind} message store: ${op} failed`, { cause });
    }
  }

  migrate(): Promise<void> {
    return this.#guard('migrate', (db) => migrateMessages(db, this.kind, this.#prefix));
  }

  accept(message: NewMessage): Promise<Accepted> {
    return this.#guard('accept', () => this.#accepts.submit(message));
  }

  pending(userId: string, afterIseq: number, limit: number): Promise<InboxEntry[]> {
    return this.#guard('pending', async (db) => {
      const rows = await db
        .selectFrom('im_inbox')
        .innerJoin('im_messages', 'im_messages.sid', 'im_inbox.sid')
        .select('im_inbox.iseq')
        .select(messageColumns)
        .where('im_inbox.user_id', '=', userId)
        .where('im_inbox.iseq', '>', afterIseq)
        .orderBy('im_inbox.iseq')
        .limit(limit)
        .execute();
      return rows.map((row) => ({ iseq: Number(row.iseq), message: toMessage(row) }));
    });
  }

  advance(userId: string, device: string, iseq: number): Promise<void> {
    return this.#guard('advance', () => this.#cursors.submit({ userId, device, iseq }));
  }

  markRead(conv: string, userId: string, seq: number): Promise<number> {
    return this.#guard('markRead', async (db) => {
      const insert = db.insertInto('im_reads').values({ conv, user_id: userId, seq });
      if (this.kind === 'postgres') {
        await insert
          .onConflict((oc) =>
            oc
              .columns(['conv', 'user_id'])
              .doUpdateSet((eb) => ({ seq: eb.fn('greatest', ['im_reads.seq', eb.val(seq)]) })),
          )
          .execute();
      } else {
        await insert
          .onDuplicateKeyUpdate((eb) => ({ seq: eb.fn('greatest', ['im_reads.seq', eb.val(seq)]) }))
          .execute();
      }
      const row = await db
        .selectFrom('im_reads')
        .select('seq')
        .where('conv', '=', conv)
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      return Number(row.seq);
    });
  }

  reads(conv: string): Promise<Record<string, number>> {
    return this.#guard('reads', async (db) => {
      const rows = await db
        .selectFrom('im_reads')
        .select(['user_id', 'seq'])
        .where('conv', '=', conv)
        .execute();
      return Object.fromEntries(rows.map((row) => [row.user_id, Number(row.seq)]));
    });
  }

  cursor(userId: string, device: string): Promise<number> {
    return this.#guard('cursor', async (db) => {
      const row = await db
        .selectFrom('im_cursors')
        .select('iseq')
        .where('user_id', '=', userId)
        .where('device', '=', device)
        .executeTakeFirst();
      return row ? Number(row.iseq) : 0;
    });
  }

  history(conv: string, afterSeq: number, limit: number): Promise<StoredMessage[]> {
    return this.#guard('history', async (db) => {
      const rows = await db
        .selectFrom('im_messages')
        .select(messageColumns)
        .where('conv', '=', conv)
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map(toMessage);
    });
  }

  historyBefore(conv: string, beforeSeq: number, limit: number): Promise<StoredMessage[]> {
    return this.#guard('history', async (db) => {
      const rows = await db
        .selectFrom('im_messages')
        .select(messageColumns)
        .where('conv', '=', conv)
        .where('seq', '<', beforeSeq)
        .orderBy('seq', 'desc')
        .limit(limit)
        .execute();
      return rows.reverse().map(toMessage);
    });
  }

  /** Replaces the member list in one transaction; a concurrent replace is retried on deadlock. */
  setMembers(groupId: string, userIds: readonly string[]): Promise<void> {
    return this.#guard('setMembers', async (db) => {
      const members = [...new Set(userIds)].sort();
      await retryTransient(() =>
        db.transaction().execute(async (trx) => {
          await trx.deleteFrom('im_members').where('group_id', '=', groupId).execute();
          for (const part of chunks(members)) {
            const insert = trx
              .insertInto('im_members')
              .values(part.map((userId) => ({ group_id: groupId, user_id: userId })));
            // A concurrent replace may have added the same member: keep one, never fail.
            await (this.kind === 'postgres'
              ? insert.onConflict((oc) => oc.doNothing())
              : insert.onDuplicateKeyUpdate((eb) => ({ user_id: eb.ref('im_members.user_id') }))
            ).execute();
          }
        }),
      );
    });
  }

  members(groupId: string): Promise<string[]> {
    return this.#guard('members', async (db) => {
      const rows = await db
        .selectFrom('im_members')
        .select('user_id')
        .where('group_id', '=', groupId)
        .execute();
      // Sorted here, not by the database's collation, so every backend answers in one order.
      return rows.map((row) => row.user_id).sort();
    });
  }

  /** Writes what waits, then ends the pool: waits for queries in flight, closes every connection. */
  close(): Promise<void> {
    return this.#guard('close', async () => {
      await Promise.all([this.#accepts.settled(), this.#cursors.settled()]);
      await this.#db.destroy();
    });
  }
}
