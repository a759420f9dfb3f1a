/**
 * `accept` for SqlMessageStore: a batch of messages (group-commit.ts gathers them) written in one
 * transaction, and how that keeps the MessageStore guarantees across connections and nodes.
 *
 * Cost per batch, whatever its size: **one round trip and one commit** — on PostgreSQL a single
 * statement (data-modifying CTEs), on MariaDB/MySQL a single `CALL` of a procedure the migrations
 * create (sql-accept-statements.ts). A batch holding a resend costs one more round trip per pass
 * that finds resends (the first writes nothing); a batch written again one message at a time
 * (below) costs one per message more. So under load a message costs a fraction of a round trip
 * and of a commit (1/128 in a full batch); alone, one of each.
 *
 * Numbers come from counter rows (`im_counters`), each added to once per batch by the number of
 * the batch's messages that take from it (sql-accept-plan.ts); the upsert locks the row until
 * commit, so concurrent batches in one conversation or into one inbox take numbers one after the
 * other, and a rolled-back batch gives its numbers back (no gaps). Every batch locks its counters
 * in one global order (sorted by name), so batches do not deadlock on them; a conversation's
 * counter is locked before its messages get their `sid`, and a batch inserts its messages in
 * order, so within a conversation `sid` follows `seq`. `(sender, fp)` is unique: a resend already
 * stored is found by the batch statement and answered from the stored row; copies within one
 * batch are written once and answered as duplicates of the first; a resend racing the original
 * from another node fails the batch on that constraint, and the batch is written again one
 * message at a time, where the retry finds the row that won.
 *
 * A batch that fails on its data (a value too long, a constraint: isDataError) is written again
 * one message at a time, so only the offending message fails; any other failure (the database
 * away, a timeout) fails every message of the batch, as it would have failed each alone.
 * Deadlocks and serialization failures are retried (retryTransient). READ COMMITTED is enough
 * (PostgreSQL's default; the MariaDB/MySQL procedure sets it, see sql-accept-statements.ts):
 * every number comes from a counter row the transaction holds locked.
 */

import type { Accepted, NewMessage, StoredMessage } from '@hutong/core';
import { CompiledQuery, type Kysely } from 'kysely';
import { eachOnError, type Outcome } from '../stores/group-commit.js';
import { isDataError, retryTransient, type SqlKind } from '../stores/sql-dialect.js';
import { type AcceptPlan, acceptedOf, planAccepts, storable } from './sql-accept-plan.js';
import { mysqlAcceptProcedure, pgAcceptSql } from './sql-accept-statements.js';
import { toMessage } from './sql-message-rows.js';
import type { ImDatabase } from './sql-message-schema.js';

/** What the batch statement answers. */
interface Written {
  /** Resends found among the batch; when there are any, nothing was written. */
  dups: StoredMessage[];
  /** The counters' values after the batch. */
  counters: Map<string, number>;
  /** `sid` by `seq` and `conv` of each message written. */
  sids: Map<string, number>;
}

/** A message row as JSON or mysql2 gives it (BIGINTs as numbers, or strings past 2^53). */
type Row = Parameters<typeof toMessage>[0];
type Big = number | string;

/** PostgreSQL's one answer row (json columns, parsed by pg; null for an empty list). */
interface PgAnswer {
  dups: Row[] | null;
  counters: [string, Big][] | null;
  sids: [string, Big, Big][] | null;
}

/** MariaDB/MySQL's rows: a resend (`d`), a counter (`c`: name, value) or a message (`m`: conv, seq, sid). */
type MysqlAnswer = (Row & { k: 'd' }) | { k: 'c' | 'm'; name: string; value: Big; sid: Big | null };

const sidKey = (conv: string, seq: Big) => `${seq}:${conv}`;

/** Runs a plan as one statement: PostgreSQL's CTE or MariaDB/MySQL's procedure. */
export function batchWriter(db: Kysely<ImDatabase>, kind: SqlKind, prefix: string) {
  if (kind === 'postgres') {
    const text = pgAcceptSql(prefix);
    return async (plan: AcceptPlan): Promise<Written> => {
      const { rows } = await db.executeQuery<PgAnswer>(CompiledQuery.raw(text, [JSON.stringify(plan)]));
      const answer = rows[0];
      return {
        dups: (answer?.dups ?? []).map(toMessage),
        counters: new Map((answer?.counters ?? []).map(([name, value]) => [name, Number(value)])),
        sids: new Map(
          (answer?.sids ?? []).map(([conv, seq, sid]) => [sidKey(conv, Number(seq)), Number(sid)]),
        ),
      };
    };
  }
  const text = `CALL ${mysqlAcceptProcedure(prefix)}(?)`;
  return async (plan: AcceptPlan): Promise<Written> => {
    const { rows } = await db.executeQuery<unknown>(CompiledQuery.raw(text, [JSON.stringify(plan)]));
    // mysql2 answers a CALL with its result set, then the call's own status.
    const set = (rows[0] ?? []) as MysqlAnswer[];
    const written: Written = { dups: [], counters: new Map(), sids: new Map() };
    for (const row of set) {
      if (row.k === 'd') written.dups.push(toMessage(row));
      else if (row.k === 'c') written.counters.set(row.name, Number(row.value));
      else written.sids.set(sidKey(row.name, Number(row.value)), Number(row.sid));
    }
    return written;
  };
}

type WriteBatch = ReturnType<typeof batchWriter>;

const fpKey = (m: { sender: string; fp: string | null }) =>
  m.fp === null ? undefined : JSON.stringify([m.sender, m.fp]);

/** Writes distinct messages (no two with one `(sender, fp)`), passing again without resends found. */
async function writeDistinct(write: WriteBatch, messages: NewMessage[]): Promise<Accepted[]> {
  const answers: Accepted[] = new Array(messages.length);
  let todo = messages.map((_, index) => index);
  while (todo.length > 0) {
    const batch = todo.map((index) => messages[index]!);
    const plan = planAccepts(batch);
    const written = await retryTransient(() => write(plan));
    if (written.dups.length === 0) {
      const sidOf = (conv: string, seq: number) => {
        const sid = written.sids.get(sidKey(conv, seq));
        if (sid === undefined)
          throw new Error(`the batch statement did not answer the sid of ${conv} #${seq}`);
        return sid;
      };
      for (const [k, accepted] of acceptedOf(batch, plan, written.counters, sidOf).entries()) {
        answers[todo[k]!] = accepted;
      }
      return answers;
    }
    const stored = new Map(written.dups.map((m) => [fpKey(m), m]));
    const left = todo.filter((index) => {
      const message = stored.get(fpKey(messages[index]!));
      if (message) answers[index] = { message, duplicate: true, inbox: [] };
      return !message;
    });
    if (left.length === todo.length) throw new Error('the batch statement answered resends not in the batch');
    todo = left;
  }
  return answers;
}

const isUniqueViolation = (error: unknown) => {
  const e = error as { errno?: number; code?: string };
  return e.errno === 1062 || e.code === '23505';
};

/** One message: a resend that won a race on UNIQUE (sender, fp) is found by trying again. */
async function writeOne(write: WriteBatch, message: NewMessage): Promise<Accepted> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await writeDistinct(write, [message]))[0]!;
    } catch (error) {
      if (!isUniqueViolation(error) || message.fp === null || attempt >= 3) throw error;
    }
  }
}

/**
 * Accepts a batch: one outcome per message, in order. Copies of one `(sender, fp)` are written
 * once; the later ones answer the first's message as a duplicate (or its error).
 */
export async function acceptBatch(write: WriteBatch, given: NewMessage[]): Promise<Outcome<Accepted>[]> {
  const messages = given.map(storable);
  const first = new Map<string, number>();
  const distinct: NewMessage[] = [];
  const slot = messages.map((message) => {
    const key = fpKey(message);
    const seen = key === undefined ? undefined : first.get(key);
    if (seen !== undefined) return { at: seen, copy: true };
    distinct.push(message);
    if (key !== undefined) first.set(key, distinct.length - 1);
    return { at: distinct.length - 1, copy: false };
  });
  const outcomes = await eachOnError(
    distinct,
    (all) => writeDistinct(write, all),
    (one) => writeOne(write, one),
    (error) => isDataError(error),
  );
  return slot.map(({ at, copy }) => {
    const outcome = outcomes[at]!;
    if (!copy || !outcome.ok) return outcome;
    return { ok: true, value: { message: outcome.value.message, duplicate: true, inbox: [] } };
  });
}
