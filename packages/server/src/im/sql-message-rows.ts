/** Message rows as SqlMessageStore reads them, and the one helper its list statements share. */
import type { StoredMessage } from '@hutong/core';
import type { Selectable } from 'kysely';
import type { ImDatabase } from './sql-message-schema.js';

/** A message row as read: BIGINTs come back as strings from pg, numbers from mysql2 and in JSON. */
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
