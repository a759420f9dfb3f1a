/**
 * Where the demos keep their data: the names users chose, 一笔到底's drawings, the seed app's paints
 * (`paint-store.ts`) and IM chat groups. One Kysely implementation over Hutong's store seam
 * (`openDatabase`): SQLite by default, MySQL or PostgreSQL in a cluster. Every drawing and paint
 * read and delete is filtered by its owner.
 */
import { randomBytes } from 'node:crypto';
import { type DatabaseKind, type DatabaseOptions, openDatabase, withMigrationLock } from '@hutong/server';
import { type ColumnType, type Kysely, type RawBuilder, type Selectable, sql } from 'kysely';
import type { DrawingSummary } from './drawing.js';
import {
  migratePaints,
  type Paint,
  type PaintDatabase,
  type SavePaintResult,
  SqlPaints,
} from './paint-store.js';

export interface Profile {
  openId: string;
  nickName: string;
}

export interface NewDrawing {
  title: string;
  width: number;
  height: number;
  color: string;
  lineWidth: number;
  /** The stroke's actions, already checked (`checkStroke`). */
  actions: unknown[];
}

export interface StoredDrawing extends DrawingSummary {
  color: string;
  lineWidth: number;
  /** As stored: JSON text that should hold the actions; the caller checks it before replaying. */
  actionsJson: string;
}

export interface DemoGroup {
  id: string;
  name: string;
  owner: string;
  members: string[];
}

export interface DemoStore {
  migrate(): Promise<void>;
  profile(openId: string): Promise<Profile | undefined>;
  saveProfile(profile: Profile): Promise<Profile>;
  /** Users who chose a name, most recently changed first. */
  contacts(limit: number): Promise<Profile[]>;
  /** Stores the drawing unless `owner` already has `max`; undefined then. */
  saveDrawing(owner: string, drawing: NewDrawing, max: number): Promise<DrawingSummary | undefined>;
  /** `owner`'s drawings, newest first. */
  drawings(owner: string, limit: number): Promise<DrawingSummary[]>;
  drawing(owner: string, id: string): Promise<StoredDrawing | undefined>;
  deleteDrawing(owner: string, id: string): Promise<boolean>;
  /**
   * Stores the seed app's paint `id` of `owner` with `actions` as given, replacing that paint if
   * it exists; a new paint is refused (`'limit'`, nothing stored) when `owner` already has `max`.
   */
  savePaint(owner: string, id: string, actions: string, max: number): Promise<SavePaintResult>;
  /** `owner`'s paints, the most recently saved first. */
  paints(owner: string, limit: number): Promise<Paint[]>;
  /** Whether `owner` had a paint `id` (now gone); another owner's paint of that id is untouched. */
  deletePaint(owner: string, id: string): Promise<boolean>;
  createGroup(group: DemoGroup): Promise<void>;
  /** The groups `openId` is a member of, newest first. */
  groupsOf(openId: string, limit: number): Promise<DemoGroup[]>;
  close(): Promise<void>;
}

/** Epoch milliseconds in a BIGINT: pg reads it back as a string. */
type Millis = ColumnType<number | string, number, number>;
/** INTEGER columns come back as numbers everywhere. */
type Int = ColumnType<number, number, number>;

interface DemoDatabase extends PaintDatabase {
  demo_profiles: { open_id: string; nick_name: string; updated_at: Millis };
  demo_drawings: {
    id: string;
    owner: string;
    title: string;
    width: Int;
    height: Int;
    color: string;
    line_width: Int;
    points: Int;
    actions: string;
    created_at: Millis;
  };
  demo_groups: { id: string; name: string; owner: string; created_at: Millis };
  demo_group_members: { group_id: string; open_id: string };
}

const TABLES = [
  'demo_profiles',
  'demo_drawings',
  'demo_groups',
  'demo_group_members',
  'demo_paints',
] as const;

/** A drawing row's list fields; BIGINT times come back as strings from pg. */
const summaryOf = (
  row: Pick<
    Selectable<DemoDatabase['demo_drawings']>,
    'id' | 'title' | 'width' | 'height' | 'points' | 'created_at'
  >,
): DrawingSummary => ({
  id: row.id,
  title: row.title,
  width: row.width,
  height: row.height,
  points: row.points,
  createdAt: Number(row.created_at),
});

/** The paint queries' view of the database: Kysely's type is invariant, the tables are a subset. */
const paintsOf = (db: Kysely<DemoDatabase>) => db as unknown as Kysely<PaintDatabase>;

/** A random id for drawings and groups: 12 URL-safe characters. */
export const newId = (): string => randomBytes(9).toString('base64url');

export interface SqlDemoStoreOptions {
  /** The clock for stored times (tests pass a `ManualClock`'s); default `Date.now`. */
  now?: () => number;
}

export class SqlDemoStore implements DemoStore {
  readonly #db: Kysely<DemoDatabase>;
  readonly #kind: DatabaseKind;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #paints: SqlPaints;

  constructor(options: DatabaseOptions & SqlDemoStoreOptions) {
    this.#kind = options.kind;
    this.#prefix = (options.kind === 'sqlite' ? undefined : options.tablePrefix) ?? 'hutong_';
    this.#now = options.now ?? Date.now;
    this.#db = openDatabase<DemoDatabase>(options, TABLES);
    this.#paints = new SqlPaints(paintsOf(this.#db), this.#kind, this.#now);
  }

  async migrate(): Promise<void> {
    const kind = this.#kind;
    /** Keys are short text; MySQL indexes only sized VARCHARs, and needs MEDIUMTEXT past 64 KB. */
    const key = (size: number): RawBuilder<unknown> =>
      kind === 'mysql' ? sql.raw(`varchar(${size})`) : sql`text`;
    const big = kind === 'mysql' ? sql`mediumtext` : sql`text`;
    const suffix = kind === 'mysql' ? sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin` : sql``;
    const steps = async (db: Kysely<DemoDatabase>) => {
      await db.schema
        .createTable('demo_profiles')
        .ifNotExists()
        .addColumn('open_id', key(64), (c) => c.primaryKey())
        .addColumn('nick_name', key(80), (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .modifyEnd(suffix)
        .execute();
      await db.schema
        .createTable('demo_drawings')
        .ifNotExists()
        .addColumn('id', key(16), (c) => c.primaryKey())
        .addColumn('owner', key(64), (c) => c.notNull())
        .addColumn('title', key(160), (c) => c.notNull())
        .addColumn('width', 'integer', (c) => c.notNull())
        .addColumn('height', 'integer', (c) => c.notNull())
        .addColumn('color', key(16), (c) => c.notNull())
        .addColumn('line_width', 'integer', (c) => c.notNull())
        .addColumn('points', 'integer', (c) => c.notNull())
        .addColumn('actions', big, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .modifyEnd(suffix)
        .execute();
      await db.schema
        .createTable('demo_groups')
        .ifNotExists()
        .addColumn('id', key(16), (c) => c.primaryKey())
        .addColumn('name', key(80), (c) => c.notNull())
        .addColumn('owner', key(64), (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .modifyEnd(suffix)
        .execute();
      await db.schema
        .createTable('demo_group_members')
        .ifNotExists()
        .addColumn('group_id', key(16), (c) => c.notNull())
        .addColumn('open_id', key(64), (c) => c.notNull())
        // Constraint names are schema-wide in PostgreSQL: prefixed like the tables.
        .addPrimaryKeyConstraint(`${this.#prefix}demo_group_members_pk`, ['group_id', 'open_id'])
        .modifyEnd(suffix)
        .execute();
      await this.#index(db, 'demo_drawings_owner', 'demo_drawings', ['owner', 'created_at']);
      await this.#index(db, 'demo_profiles_updated', 'demo_profiles', ['updated_at']);
      await this.#index(db, 'demo_group_members_user', 'demo_group_members', ['open_id']);
      await migratePaints(paintsOf(db), {
        key,
        big,
        suffix,
        prefixed: (name) => `${this.#prefix}${name}`,
        index: (name, columns) => this.#index(db, name, 'demo_paints', columns),
      });
    };
    if (kind === 'sqlite') await this.#db.transaction().execute(steps);
    else await withMigrationLock(this.#db, kind, 'hutong_demo_migrate', steps);
  }

  /** Index names carry the table prefix too, since PostgreSQL's are schema-wide. */
  async #index(db: Kysely<DemoDatabase>, name: string, table: (typeof TABLES)[number], columns: string[]) {
    const full = `${this.#prefix}${name}`;
    if (this.#kind !== 'mysql') {
      await db.schema.createIndex(full).ifNotExists().on(table).columns(columns).execute();
      return;
    }
    try {
      await db.schema.createIndex(full).on(table).columns(columns).execute();
    } catch (error) {
      if ((error as { errno?: number }).errno !== 1061) throw error; // already there
    }
  }

  async profile(openId: string): Promise<Profile | undefined> {
    const row = await this.#db
      .selectFrom('demo_profiles')
      .select(['open_id', 'nick_name'])
      .where('open_id', '=', openId)
      .executeTakeFirst();
    return row && { openId: row.open_id, nickName: row.nick_name };
  }

  async saveProfile(profile: Profile): Promise<Profile> {
    const row = { open_id: profile.openId, nick_name: profile.nickName, updated_at: this.#now() };
    const update = { nick_name: row.nick_name, updated_at: row.updated_at };
    const insert = this.#db.insertInto('demo_profiles').values(row);
    await (this.#kind === 'mysql'
      ? insert.onDuplicateKeyUpdate(update)
      : insert.onConflict((oc) => oc.column('open_id').doUpdateSet(update))
    ).execute();
    return profile;
  }

  async contacts(limit: number): Promise<Profile[]> {
    const rows = await this.#db
      .selectFrom('demo_profiles')
      .select(['open_id', 'nick_name'])
      .orderBy('updated_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ openId: row.open_id, nickName: row.nick_name }));
  }

  async saveDrawing(owner: string, drawing: NewDrawing, max: number): Promise<DrawingSummary | undefined> {
    const { count } = await this.#db
      .selectFrom('demo_drawings')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('owner', '=', owner)
      .executeTakeFirstOrThrow();
    if (Number(count) >= max) return undefined;
    const summary: DrawingSummary = {
      id: newId(),
      title: drawing.title,
      width: drawing.width,
      height: drawing.height,
      points: drawing.actions.length,
      createdAt: this.#now(),
    };
    await this.#db
      .insertInto('demo_drawings')
      .values({
        id: summary.id,
        owner,
        title: summary.title,
        width: summary.width,
        height: summary.height,
        color: drawing.color,
        line_width: drawing.lineWidth,
        points: summary.points,
        actions: JSON.stringify(drawing.actions),
        created_at: summary.createdAt,
      })
      .execute();
    return summary;
  }

  async drawings(owner: string, limit: number): Promise<DrawingSummary[]> {
    const rows = await this.#db
      .selectFrom('demo_drawings')
      .select(['id', 'title', 'width', 'height', 'points', 'created_at'])
      .where('owner', '=', owner)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(summaryOf);
  }

  async drawing(owner: string, id: string): Promise<StoredDrawing | undefined> {
    const row = await this.#db
      .selectFrom('demo_drawings')
      .selectAll()
      .where('owner', '=', owner)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      ...summaryOf(row),
      color: row.color,
      lineWidth: row.line_width,
      actionsJson: row.actions,
    };
  }

  async deleteDrawing(owner: string, id: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('demo_drawings')
      .where('owner', '=', owner)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  savePaint(owner: string, id: string, actions: string, max: number): Promise<SavePaintResult> {
    return this.#paints.save(owner, id, actions, max);
  }

  paints(owner: string, limit: number): Promise<Paint[]> {
    return this.#paints.list(owner, limit);
  }

  deletePaint(owner: string, id: string): Promise<boolean> {
    return this.#paints.delete(owner, id);
  }

  async createGroup(group: DemoGroup): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('demo_groups')
        .values({ id: group.id, name: group.name, owner: group.owner, created_at: this.#now() })
        .execute();
      await trx
        .insertInto('demo_group_members')
        .values(group.members.map((openId) => ({ group_id: group.id, open_id: openId })))
        .execute();
    });
  }

  async groupsOf(openId: string, limit: number): Promise<DemoGroup[]> {
    const groups = await this.#db
      .selectFrom('demo_groups')
      .innerJoin('demo_group_members as mine', 'mine.group_id', 'demo_groups.id')
      .select(['demo_groups.id', 'demo_groups.name', 'demo_groups.owner'])
      .where('mine.open_id', '=', openId)
      .orderBy('demo_groups.created_at', 'desc')
      .limit(limit)
      .execute();
    if (groups.length === 0) return [];
    const members = await this.#db
      .selectFrom('demo_group_members')
      .select(['group_id', 'open_id'])
      .where(
        'group_id',
        'in',
        groups.map((group) => group.id),
      )
      .execute();
    return groups.map((group) => ({
      ...group,
      members: members.filter((m) => m.group_id === group.id).map((m) => m.open_id),
    }));
  }

  close(): Promise<void> {
    return this.#db.destroy();
  }
}
