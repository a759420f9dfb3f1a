/**
 * `accept` for SqlMessageStore, and how it keeps the MessageStore guarantees across connections
 * and nodes.
 *
 * One transaction bumps the conversation's counter and each recipient's inbox counter
 * (`im_counters`) with an upsert, which locks the counter row until commit: concurrent accepts in
 * one conversation or into one inbox take numbers one after another, and a rolled-back accept
 * gives its numbers back (no gaps). Counters are locked in one global order (sorted by name), so
 * transactions do not deadlock on them; the conversation's counter is locked before the message row
 * gets its `sid`, so within a conversation `sid` follows `seq`. `(sender, fp)` is unique: a racing
 * resend fails on that constraint, rolls back, and is answered from the row that won.
 *
 * Default isolation (READ COMMITTED on PostgreSQL, REPEATABLE READ on InnoDB) is enough, since
 * every number comes from a row the transaction holds locked; a deadlock or serialization failure
 * the database still reports is retried.
 */

import type { Accepted, NewMessage, StoredMessage } from '@hutong/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import { retryTransient, type SqlKind } from '../stores/sql-dialect.js';
import type { ImDatabase } from './sql-message-schema.js';

/** A message row as read: BIGINTs come back as strings from pg, numbers from mysql2. */
type MessageRow = Selectable<ImDatabase['im_messages']>;

export const toMessage = (row: MessageRow): StoredMessage => ({
  sid: Number(row.sid),
  conv: row.conv,
  seq: Number(row.seq),
  sender: row.sender,
  target: row.target,
  fp: row.fp,
  typeu: Number(row.typeu),
  content: row.content,
  createdAt: Number(row.created_at),
});

export const messageColumns = [
  'im_messages.sid',
  'im_messages.conv',
  'im_messages.seq',
  'im_messages.sender',
  'im_messages.target',
  'im_messages.fp',
  'im_messages.typeu',
  'im_messages.content',
  'im_messages.created_at',
] as const;

/**
 * Splits `items` into runs of 64, 32, … 1, so statements with a list of rows or values come in a
 * few shapes only: every DML text is prepared once per connection (sql-pools.ts), and a shape per
 * group size would fill the server's prepared-statement space.
 */
export function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (let size = 64; size >= 1; size /= 2) {
    while (items.length - at >= size) {
      out.push(items.slice(at, at + size));
      at += size;
    }
  }
  return out;
}

/** A resend racing the original loses on UNIQUE (sender, fp). */
function isUniqueViolation(error: unknown): boolean {
  const e = error as { errno?: number; code?: string };
  return e.errno === 1062 || e.code === '23505';
}

const plusOne = sql<number>`${sql.ref('im_counters.value')} + 1`;

/** Adds 1 to each named counter (a new one starts at 1), locking it; answers the new values. */
async function bump(trx: Kysely<ImDatabase>, kind: SqlKind, names: readonly string[]) {
  const values = new Map<string, number>();
  for (const part of chunks(names)) {
    const rows = part.map((name) => ({ name, value: 1 }));
    if (kind === 'postgres') {
      const bumped = await trx
        .insertInto('im_counters')
        .values(rows)
        .onConflict((oc) => oc.column('name').doUpdateSet({ value: plusOne }))
        .returning(['name', 'value'])
        .execute();
      for (const row of bumped) values.set(row.name, Number(row.value));
      continue;
    }
    await trx.insertInto('im_counters').values(rows).onDuplicateKeyUpdate({ value: plusOne }).execute();
    // The upsert locked these rows, and a transaction reads its own changes: a plain read is exact.
    // (FOR UPDATE would lock every row a table scan passes, other transactions' counters too.)
    const read = await trx
      .selectFrom('im_counters')
      .select(['name', 'value'])
      .where('name', 'in', part)
      .execute();
    for (const row of read) values.set(row.name, Number(row.value));
  }
  return values;
}

async function insert(trx: Kysely<ImDatabase>, kind: SqlKind, message: NewMessage): Promise<Accepted> {
  const { recipients: given, ...stored } = message;
  const recipients = [...new Set(given)];
  const convName = `conv:${message.conv}`;
  const inboxName = (userId: string) => `inbox:${userId}`;
  // Sorted: "conv:…" first, then the inboxes, the same order in every transaction.
  const counters = await bump(trx, kind, [convName, ...recipients.map(inboxName).sort()]);
  const seq = counters.get(convName)!;
  const row = trx.insertInto('im_messages').values({
    conv: message.conv,
    seq,
    sender: message.sender,
    target: message.target,
    fp: message.fp,
    typeu: message.typeu,
    content: message.content,
    created_at: message.createdAt,
  });
  const sid =
    kind === 'postgres'
      ? Number((await row.returning('sid').executeTakeFirstOrThrow()).sid)
      : Number((await row.executeTakeFirstOrThrow()).insertId);
  const inbox = recipients.map((userId) => ({ userId, iseq: counters.get(inboxName(userId))! }));
  for (const part of chunks(inbox)) {
    await trx
      .insertInto('im_inbox')
      .values(part.map((entry) => ({ user_id: entry.userId, iseq: entry.iseq, sid })))
      .execute();
  }
  return { message: { ...stored, sid, seq }, duplicate: false, inbox };
}

export async function acceptMessage(
  db: Kysely<ImDatabase>,
  kind: SqlKind,
  message: NewMessage,
): Promise<Accepted> {
  const { fp, sender } = message;
  const stored = async (): Promise<Accepted | undefined> => {
    if (fp === null) return undefined;
    const row = await db
      .selectFrom('im_messages')
      .select(messageColumns)
      .where('sender', '=', sender)
      .where('fp', '=', fp)
      .executeTakeFirst();
    return row && { message: toMessage(row), duplicate: true, inbox: [] };
  };
  const found = await stored();
  if (found) return found;
  try {
    return await retryTransient(() => db.transaction().execute((trx) => insert(trx, kind, message)));
  } catch (error) {
    const won = isUniqueViolation(error) ? await stored() : undefined;
    if (!won) throw error;
    return won;
  }
}
