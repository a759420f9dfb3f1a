/**
 * `advance` for SqlMessageStore: the cursor moves of one batch (group-commit.ts gathers them; the
 * hub makes one per device per tick and one when a device goes) in one statement, one round trip
 * and one commit. Two moves of one device keep the further; entries are written sorted by
 * (user, device), the one order every node locks cursor rows in. A cursor never moves back.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import { eachOnError, type Outcome } from '../stores/group-commit.js';
import { isDataError, retryTransient, type SqlKind } from '../stores/sql-dialect.js';
import { wellFormed } from './sql-accept-plan.js';
import { mysqlAdvanceSql, pgAdvanceSql } from './sql-accept-statements.js';
import type { ImDatabase } from './sql-message-schema.js';

export interface CursorMove {
  userId: string;
  device: string;
  iseq: number;
}

export function cursorWriter(db: Kysely<ImDatabase>, kind: SqlKind, prefix: string) {
  const text = kind === 'postgres' ? pgAdvanceSql(prefix) : mysqlAdvanceSql(prefix);
  const write = async (moves: CursorMove[]): Promise<void> => {
    const furthest = new Map<string, [string, string, number]>();
    for (const move of moves) {
      const [userId, device] = [wellFormed(move.userId), wellFormed(move.device)];
      const key = JSON.stringify([userId, device]);
      const known = furthest.get(key);
      if (!known || known[2] < move.iseq) furthest.set(key, [userId, device, move.iseq]);
    }
    const rows = [...furthest.values()].sort(([u1, d1], [u2, d2]) =>
      u1 < u2 ? -1 : u1 > u2 ? 1 : d1 < d2 ? -1 : d1 > d2 ? 1 : 0,
    );
    await retryTransient(() => db.executeQuery(CompiledQuery.raw(text, [JSON.stringify(rows)])));
  };
  return (moves: CursorMove[]): Promise<Outcome<void>[]> =>
    eachOnError(
      moves,
      async (all) => {
        await write(all);
        return all.map(() => undefined);
      },
      (one) => write([one]),
      isDataError,
    );
}
