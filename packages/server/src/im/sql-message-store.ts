/**
 * MessageStore on MariaDB/MySQL (mysql2 pool) or PostgreSQL (pg pool) through Kysely, with the
 * session store's connection handling (sql-pools.ts): tables in sql-message-schema.ts, `accept`
 * and how it keeps the guarantees across nodes in sql-message-accept.ts. A failing database call
 * rejects with ERR_STORE_UNAVAILABLE (the driver's error as its `cause`).
 */

import type { Accepted, InboxEntry, MessageStore, NewMessage, StoredMessage } from '@hutong/core';
import { HutongError } from '@hutong/protocol';
import type { Kysely } from 'kysely';
import { retryTransient, type SqlKind } from '../stores/sql-dialect.js';
import { connect, connectOptions, type SqlStoreOptions } from '../stores/sql-pools.js';
import { acceptMessage, chunks, messageColumns, toMessage } from './sql-message-accept.js';
import { type ImDatabase, imTables, migrateMessages } from './sql-message-schema.js';

/** As the session store's; the IM tables are `<prefix>im_*`. */
export type SqlMessageStoreOptions = SqlStoreOptions;

export class SqlMessageStore implements MessageStore {
  readonly kind: SqlKind;
  readonly #db: Kysely<ImDatabase>;
  readonly #prefix: string;

  constructor(options: SqlMessageStoreOptions) {
    this.kind = options.kind;
    const connection = connectOptions(options, imTables);
    this.#prefix = connection.tablePrefix;
    this.#db = connect<ImDatabase>(connection);
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
    return this.#guard('accept', (db) => acceptMessage(db, this.kind, message));
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
    return this.#guard('advance', async (db) => {
      const insert = db.insertInto('im_cursors').values({ user_id: userId, device, iseq });
      if (this.kind === 'postgres') {
        await insert
          .onConflict((oc) =>
            oc
              .columns(['user_id', 'device'])
              .doUpdateSet((eb) => ({ iseq: eb.fn('greatest', ['im_cursors.iseq', eb.val(iseq)]) })),
          )
          .execute();
        return;
      }
      await insert
        .onDuplicateKeyUpdate((eb) => ({ iseq: eb.fn('greatest', ['im_cursors.iseq', eb.val(iseq)]) }))
        .execute();
    });
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

  /** Ends the pool: waits for queries in flight, then closes every connection. */
  close(): Promise<void> {
    return this.#guard('close', () => this.#db.destroy());
  }
}
