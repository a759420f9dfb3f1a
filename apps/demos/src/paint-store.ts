/**
 * The seed 一笔到底 app's paints (its `/applet/session/paints` routes, `applet-routes.ts`): one row
 * per (owner, id), the canvas actions kept as the text the mini program sent. The table and its
 * queries, used by `SqlDemoStore` on the same database as the other demo tables.
 */
import type { DatabaseKind } from '@hutong/server';
import type { ColumnType, Kysely, RawBuilder } from 'kysely';

/** A paint as the seed app lists it: its client-made id and `JSON.stringify` of its actions. */
export interface Paint {
  id: string;
  actions: string;
}

/** What `savePaint` did: stored a new paint, replaced the owner's paint of that id, or refused a new one. */
export type SavePaintResult = 'created' | 'replaced' | 'limit';

export interface PaintDatabase {
  demo_paints: {
    owner: string;
    id: string;
    actions: string;
    /** Epoch milliseconds in a BIGINT: pg reads it back as a string. */
    updated_at: ColumnType<number | string, number, number>;
  };
}

/** The column types and helpers of `SqlDemoStore.migrate`, so this table is made like the others. */
export interface PaintMigration {
  key: (size: number) => RawBuilder<unknown>;
  big: RawBuilder<unknown>;
  suffix: RawBuilder<unknown>;
  /** A prefixed name (constraint names are schema-wide in PostgreSQL). */
  prefixed: (name: string) => string;
  index: (name: string, columns: string[]) => Promise<void>;
}

/** Creates `demo_paints` and its listing index when missing; idempotent. */
export async function migratePaints(db: Kysely<PaintDatabase>, m: PaintMigration): Promise<void> {
  await db.schema
    .createTable('demo_paints')
    .ifNotExists()
    .addColumn('owner', m.key(64), (c) => c.notNull())
    .addColumn('id', m.key(64), (c) => c.notNull())
    .addColumn('actions', m.big, (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint(m.prefixed('demo_paints_pk'), ['owner', 'id'])
    .modifyEnd(m.suffix)
    .execute();
  await m.index('demo_paints_owner', ['owner', 'updated_at']);
}

/** The paint queries. Every one is filtered by owner: the same id under two owners is two paints. */
export class SqlPaints {
  constructor(
    private readonly db: Kysely<PaintDatabase>,
    private readonly kind: DatabaseKind,
    private readonly now: () => number,
  ) {}

  /**
   * Stores `actions` as given (the caller checked them) under (owner, id), replacing that paint's
   * actions and moving it to the top of the list. A new paint is refused (`'limit'`, nothing
   * stored) when `owner` already has `max`. The existence check, the count and the upsert are
   * separate statements: concurrent first saves by one user may pass `max` by their number.
   */
  async save(owner: string, id: string, actions: string, max: number): Promise<SavePaintResult> {
    const existing = await this.db
      .selectFrom('demo_paints')
      .select('id')
      .where('owner', '=', owner)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!existing) {
      const { count } = await this.db
        .selectFrom('demo_paints')
        .select((eb) => eb.fn.countAll().as('count'))
        .where('owner', '=', owner)
        .executeTakeFirstOrThrow();
      if (Number(count) >= max) return 'limit';
    }
    const update = { actions, updated_at: this.now() };
    const insert = this.db.insertInto('demo_paints').values({ owner, id, ...update });
    await (this.kind === 'mysql'
      ? insert.onDuplicateKeyUpdate(update)
      : insert.onConflict((oc) => oc.columns(['owner', 'id']).doUpdateSet(update))
    ).execute();
    return existing ? 'replaced' : 'created';
  }

  /** `owner`'s paints, the most recently saved first (ties by id, descending). */
  async list(owner: string, limit: number): Promise<Paint[]> {
    return this.db
      .selectFrom('demo_paints')
      .select(['id', 'actions'])
      .where('owner', '=', owner)
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /** Whether `owner` had a paint `id` (now gone). */
  async delete(owner: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('demo_paints')
      .where('owner', '=', owner)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
