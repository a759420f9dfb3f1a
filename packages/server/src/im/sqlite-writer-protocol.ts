/**
 * What crosses between the SQLite IM store and its writer thread. Accepted messages travel back
 * compact (the store already holds what it sent): a fresh one as its numbers, a resend as the
 * stored message. Errors travel as `{name, message, code}` and are rebuilt as the same classes, so
 * callers tell them apart as they would inline.
 */
import type { Accepted, NewMessage, StoredMessage } from '@hutong/core';
import { HutongError, isErrorCode } from '@hutong/protocol';
import Database from 'better-sqlite3';
import type { CursorMove, Outcome } from './sqlite-write-ops.js';

/** A request the thread answers (the reply carries its id). */
export type WriterCall =
  | { kind: 'batch'; messages: NewMessage[]; moves: CursorMove[] }
  | { kind: 'markRead'; conv: string; userId: string; seq: number }
  | { kind: 'setMembers'; groupId: string; userIds: readonly string[] };

export type WriterRequest =
  | (WriterCall & { id: number })
  | { kind: 'checkpointOnCommit' }
  | { kind: 'close' };

export type WriterReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WireError };

export interface WireError {
  name: string;
  message: string;
  code: string | undefined;
}

/** One message's outcome, compact: the iseqs follow the message's distinct recipients in order. */
export type WireOutcome =
  | { sid: number; seq: number; iseqs: number[] }
  | { duplicate: StoredMessage }
  | { error: WireError };

export function toWireError(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), code: undefined };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, code: typeof code === 'string' ? code : undefined };
}

export function fromWireError(wire: WireError): Error {
  if (wire.name === 'HutongError' && isErrorCode(wire.code)) return new HutongError(wire.code, wire.message);
  if (wire.name === 'SqliteError') return new Database.SqliteError(wire.message, wire.code ?? 'SQLITE_ERROR');
  return Object.assign(new Error(wire.message), {
    name: wire.name,
    ...(wire.code ? { code: wire.code } : {}),
  });
}

export function toWireOutcome(outcome: Outcome): WireOutcome {
  if (!outcome.ok) return { error: toWireError(outcome.error) };
  const { message, duplicate, inbox } = outcome.value;
  if (duplicate) return { duplicate: message };
  return { sid: message.sid, seq: message.seq, iseqs: inbox.map((entry) => entry.iseq) };
}

export function fromWireOutcome(message: NewMessage, wire: WireOutcome): Outcome {
  if ('error' in wire) return { ok: false, error: fromWireError(wire.error) };
  if ('duplicate' in wire)
    return { ok: true, value: { message: wire.duplicate, duplicate: true, inbox: [] } };
  const { recipients, ...stored } = message;
  const inbox = [...new Set(recipients)].map((userId, i) => ({ userId, iseq: wire.iseqs[i]! }));
  const value: Accepted = { message: { ...stored, sid: wire.sid, seq: wire.seq }, duplicate: false, inbox };
  return { ok: true, value };
}
