import type { ImMessageView } from '@hutong/protocol/im-codes';

/**
 * Where IM messages live. One interface, a shared test suite, three implementations (SQLite by
 * default; MariaDB/MySQL and PostgreSQL through Kysely).
 *
 * Guarantees every implementation gives:
 * - `accept` is atomic and idempotent per `(sender, fp)`: a resend of an accepted message returns
 *   the stored one with `duplicate: true` and changes nothing.
 * - Each accepted message gets a server id (`sid`, increasing across the store) and a sequence
 *   number in its conversation (`seq`: 1, 2, 3… with no gaps), and one inbox entry per recipient
 *   user with that user's next inbox number (`iseq`: 1, 2, 3…). The message is durable when
 *   `accept` resolves.
 * - A device's cursor only moves forward; `pending` answers the inbox after a number, in `iseq` order.
 * - Concurrent calls may be written together (group commit: SQLite writes the accepts of one
 *   event-loop turn in one transaction; the SQL stores write those that arrived while a batch was
 *   being written as the next batch): each call keeps every guarantee above on its own, copies of
 *   one `(sender, fp)` in flight at once are stored once, and a call that fails on its own data
 *   fails alone. A store that bounds what waits refuses a call over the bound at once with
 *   ERR_STORE_UNAVAILABLE.
 */
export interface MessageStore {
  migrate(): Promise<void>;
  accept(message: NewMessage): Promise<Accepted>;
  /** Inbox entries of `userId` numbered above `afterIseq` (a device's cursor), oldest first, at most `limit`. */
  pending(userId: string, afterIseq: number, limit: number): Promise<InboxEntry[]>;
  /** Moves `device`'s cursor to `iseq` (never backwards). */
  advance(userId: string, device: string, iseq: number): Promise<void>;
  cursor(userId: string, device: string): Promise<number>;
  /** Messages of a conversation by sequence, oldest first: after `afterSeq`, at most `limit`. */
  history(conv: string, afterSeq: number, limit: number): Promise<StoredMessage[]>;
  /** The last `limit` messages with a seq below `beforeSeq`, oldest first (scrolling back). */
  historyBefore(conv: string, beforeSeq: number, limit: number): Promise<StoredMessage[]>;
  /** Records that `userId` has read `conv` up to `seq` (never backwards); answers the position kept. */
  markRead(conv: string, userId: string, seq: number): Promise<number>;
  /** Read positions in a conversation, per user. */
  reads(conv: string): Promise<Record<string, number>>;
  /** Group membership (managed by the business side). */
  setMembers(groupId: string, userIds: readonly string[]): Promise<void>;
  members(groupId: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface NewMessage {
  /** `c:<a>|<b>` for two users (sorted), `g:<id>` for a group. */
  conv: string;
  sender: string;
  /** The user id (one-to-one) or group id the sender addressed. */
  target: string;
  /** Users whose inboxes get it (for a group: the members but the sender). */
  recipients: readonly string[];
  /** The client's message id; null when the client gave none (no de-duplication). */
  fp: string | null;
  typeu: number;
  content: string;
  createdAt: number;
}

export interface StoredMessage extends Omit<NewMessage, 'recipients'> {
  sid: number;
  seq: number;
}

export interface Accepted {
  message: StoredMessage;
  duplicate: boolean;
  /** Where the message landed in each recipient's inbox (empty for a duplicate). */
  inbox: { userId: string; iseq: number }[];
}

export interface InboxEntry {
  iseq: number;
  message: StoredMessage;
}

export const conversationOf = (sender: string, target: string, group: boolean): string =>
  group ? `g:${target}` : sender < target ? `c:${sender}|${target}` : `c:${target}|${sender}`;

/** A stored message as Hutong shows it outside (HTTP history, webhooks). */
export type MessageView = ImMessageView;

export const messageView = (m: StoredMessage): MessageView => ({
  sid: m.sid,
  seq: m.seq,
  conv: m.conv,
  from: m.sender,
  to: m.target,
  fp: m.fp,
  typeu: m.typeu,
  content: m.content,
  createdAt: m.createdAt,
});
