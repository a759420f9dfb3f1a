/**
 * Counts what the message store costs on the wire, from inside the bench process: every command
 * pg or mysql2 sends is one round trip (pg: a query in the extended protocol, Parse/Bind/Execute/
 * Sync in one flight; mysql2: a Query, Prepare or Execute command), and a commit is a `COMMIT`
 * statement or a writing statement sent outside a transaction (it commits by itself; a stored
 * procedure call counts as one, whatever it does inside).
 */
import mysql2 from 'mysql2';
import pg from 'pg';

export interface WireCounts {
  roundTrips: number;
  commits: number;
}

export const counts: WireCounts = { roundTrips: 0, commits: 0 };

const WRITE = /^\s*(insert|update|delete|with|call|replace)\b/i;
const BEGIN = /^\s*(begin|start transaction)\b/i;
const END = /^\s*(commit|rollback)\b/i;

/** Connections inside an explicit transaction. */
const inTransaction = new WeakSet<object>();

function seen(connection: object, text: string | undefined): void {
  counts.roundTrips += 1;
  if (text === undefined) return;
  if (BEGIN.test(text)) inTransaction.add(connection);
  else if (END.test(text)) {
    inTransaction.delete(connection);
    if (/^\s*commit/i.test(text)) counts.commits += 1;
  } else if (WRITE.test(text) && !inTransaction.has(connection)) counts.commits += 1;
}

/** Wraps both drivers' send paths; call once, before any store connects. */
export function countWire(): void {
  const pgQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string };
    seen(this, typeof config === 'string' ? config : config?.text);
    return pgQuery.apply(this, args);
  } as typeof pg.Client.prototype.query;

  const proto = mysql2.Connection.prototype as unknown as { addCommand(cmd: unknown): unknown };
  const addCommand = proto.addCommand;
  proto.addCommand = function (this: object, cmd: unknown) {
    const name = (cmd as object).constructor.name;
    if (name === 'Query' || name === 'Execute') seen(this, (cmd as { sql?: string }).sql);
    else if (name === 'Prepare') {
      // A statement already prepared on this connection is taken from its cache, nothing sent.
      const prepare = cmd as { start(packet: unknown, connection: unknown): unknown };
      const start = prepare.start;
      prepare.start = function (this: unknown, packet: unknown, connection: unknown) {
        const next = start.call(this, packet, connection);
        if (next !== null) counts.roundTrips += 1;
        return next;
      };
    }
    return addCommand.call(this, cmd);
  };
}

export const resetCounts = (): WireCounts => {
  const before = { ...counts };
  counts.roundTrips = 0;
  counts.commits = 0;
  return before;
};
