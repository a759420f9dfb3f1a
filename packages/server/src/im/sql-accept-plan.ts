/**
 * The numbering of one batch of accepts, worked out before the database is asked, so the batch
 * statement (sql-accept-statements.ts) only adds to counters and writes rows.
 *
 * Each counter (`conv:<conv>`, `inbox:<user>`) goes up by the number of the batch's messages that
 * take a number from it; the database answers its value after that. A message's number is then
 * that value minus how many of the batch's later messages took one from the same counter (`back`),
 * so numbers follow batch order within a conversation and within an inbox, with no gaps. The plan
 * assumes no message is a resend: the statement writes nothing when one is, and the batch is
 * planned again without it.
 */
import type { Accepted, NewMessage } from '@hutong/core';

/** The batch as the statement reads it (JSON): short keys, one object per row. */
export interface AcceptPlan {
  /** Counters to add `n` to, in the one global lock order (by name; `o` keeps it in SQL). */
  c: { o: number; name: string; n: number }[];
  /** The messages in batch order; seq = the conversation counter's new value − `back`. */
  m: {
    i: number;
    conv: string;
    sender: string;
    target: string;
    fp: string | null;
    typeu: number;
    content: string;
    at: number;
    back: number;
  }[];
  /** One entry per recipient: iseq = `u`'s inbox counter − `back`; its message: `conv`, seq by `mback`. */
  r: { u: string; back: number; conv: string; mback: number }[];
}

/** A lone UTF-16 surrogate, which JSON carries as an escape both databases refuse. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** `text` with lone surrogates as U+FFFD, as the drivers' UTF-8 encoding stores them. */
export const wellFormed = (text: string): string => text.replace(LONE_SURROGATE, '\ufffd');

/** The message as the database will store it (every string well-formed). */
export const storable = (m: NewMessage): NewMessage => ({
  ...m,
  conv: wellFormed(m.conv),
  sender: wellFormed(m.sender),
  target: wellFormed(m.target),
  recipients: m.recipients.map(wellFormed),
  fp: m.fp === null ? null : wellFormed(m.fp),
  content: wellFormed(m.content),
});

const convCounter = (conv: string) => `conv:${conv}`;
const inboxCounter = (userId: string) => `inbox:${userId}`;

/** Recipients once each, in the order given. */
export const recipientsOf = (message: NewMessage): string[] => [...new Set(message.recipients)];

export function planAccepts(messages: readonly NewMessage[]): AcceptPlan {
  const totals = new Map<string, number>();
  const add = (name: string) => totals.set(name, (totals.get(name) ?? 0) + 1);
  for (const message of messages) {
    add(convCounter(message.conv));
    for (const userId of recipientsOf(message)) add(inboxCounter(userId));
  }
  const taken = new Map<string, number>();
  /** How many of the batch's messages after this one take from `name`. */
  const back = (name: string) => {
    const rank = (taken.get(name) ?? 0) + 1;
    taken.set(name, rank);
    return totals.get(name)! - rank;
  };
  const plan: AcceptPlan = { c: [], m: [], r: [] };
  for (const [i, message] of messages.entries()) {
    const mback = back(convCounter(message.conv));
    plan.m.push({
      i,
      conv: message.conv,
      sender: message.sender,
      target: message.target,
      fp: message.fp,
      typeu: message.typeu,
      content: message.content,
      at: message.createdAt,
      back: mback,
    });
    for (const u of recipientsOf(message)) {
      plan.r.push({ u, back: back(inboxCounter(u)), conv: message.conv, mback });
    }
  }
  // The order every accept on every node locks counters in (sorted by name): no deadlock among them.
  const names = [...totals.keys()].sort();
  plan.c = names.map((name, o) => ({ o, name, n: totals.get(name)! }));
  return plan;
}

/**
 * What each message of the plan became, from the counters' new values and the sids the database
 * gave (`sidOf(conv, seq)`).
 */
export function acceptedOf(
  messages: readonly NewMessage[],
  plan: AcceptPlan,
  counters: ReadonlyMap<string, number>,
  sidOf: (conv: string, seq: number) => number,
): Accepted[] {
  const value = (name: string) => {
    const found = counters.get(name);
    if (found === undefined) throw new Error(`the batch statement did not answer counter ${name}`);
    return found;
  };
  let r = 0;
  return messages.map((message, index) => {
    const seq = value(convCounter(message.conv)) - plan.m[index]!.back;
    const { recipients: _recipients, ...stored } = message;
    const inbox = recipientsOf(message).map((userId) => {
      const entry = plan.r[r++]!;
      return { userId, iseq: value(inboxCounter(userId)) - entry.back };
    });
    return { message: { ...stored, sid: sidOf(message.conv, seq), seq }, duplicate: false, inbox };
  });
}
