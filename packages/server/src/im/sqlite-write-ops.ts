/**
 * Every write of the SQLite IM store, on one connection: run on the event loop (the inline writer)
 * or on the writer's thread (sqlite-writer-worker.ts). Synchronous: the caller decides where the
 * time is spent.
 */
import type { Accepted, NewMessage } from '@hutong/core';
import type Database from 'better-sqlite3';
import { type MessageRow, toMessage } from './sqlite-im-tables.js';

/** A device's cursor move; the furthest of a batch's moves for one device. */
export interface CursorMove {
  userId: string;
  device: string;
  iseq: number;
}

export type Outcome = { ok: true; value: Accepted } | { ok: false; error: unknown };

export interface SqliteWriteOps {
  /**
   * One IMMEDIATE transaction for the messages and cursor moves (group commit): each message is its
   * own savepoint inside it, so one failing (its outcome holds the error) does not undo the others.
   * IMMEDIATE takes the write lock first, so two processes on one file never deadlock upgrading.
   * Throws when the transaction as a whole fails (nothing written).
   */
  batch(messages: readonly NewMessage[], moves: readonly CursorMove[]): Outcome[];
  markRead(conv: string, userId: string, seq: number): number;
  setMembers(groupId: string, userIds: readonly string[]): void;
}

export function sqliteWriteOps(db: Database.Database): SqliteWriteOps {
  const s = {
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
    advance: db.prepare(
      `INSERT INTO im_cursors (user_id, device, iseq) VALUES (?, ?, ?)
       ON CONFLICT (user_id, device) DO UPDATE SET iseq = MAX(iseq, excluded.iseq)`,
    ),
    markRead: db.prepare<[string, string, number], { seq: number }>(
      `INSERT INTO im_reads (conv, user_id, seq) VALUES (?, ?, ?)
       ON CONFLICT (conv, user_id) DO UPDATE SET seq = MAX(seq, excluded.seq) RETURNING seq`,
    ),
    clearMembers: db.prepare('DELETE FROM im_members WHERE group_id = ?'),
    addMember: db.prepare('INSERT OR IGNORE INTO im_members (group_id, user_id) VALUES (?, ?)'),
  };
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
  const batch = db.transaction((messages: readonly NewMessage[], moves: readonly CursorMove[]) => {
    const outcomes = messages.map((message): Outcome => {
      try {
        return { ok: true, value: accept(message) };
      } catch (error) {
        return { ok: false, error };
      }
    });
    for (const move of moves) s.advance.run(move.userId, move.device, move.iseq);
    return outcomes;
  });
  const setMembers = db.transaction((groupId: string, userIds: readonly string[]) => {
    s.clearMembers.run(groupId);
    for (const userId of new Set(userIds)) s.addMember.run(groupId, userId);
  });
  return {
    batch: (messages, moves) => batch.immediate(messages, moves),
    markRead: (conv, userId, seq) => s.markRead.get(conv, userId, seq)!.seq,
    setMembers: (groupId, userIds) => setMembers(groupId, userIds),
  };
}
