/**
 * A node's warm copy of IM presence kept in a shared backend: per user, the nodes holding devices
 * of that user, as read once from the backend and then kept current by the changes every node
 * announces (`apply`). No backend access here: RedisPresence reads and listens, this keeps.
 *
 * How a read and the news meet: `beginRead` is called before the backend is asked; the changes
 * heard from then until `endRead` are kept and applied on top of the snapshot. Every node writes a
 * change and announces it in one step, and the news of all nodes arrives in one order on one
 * subscription, so a change is either in the snapshot or heard after `beginRead`, or both (applying
 * it again is harmless: the last change heard per user and node is the latest made). The entry
 * converges on the backend's state.
 *
 * When news may have been lost (the subscription dropped), `distrust` forgets every entry and
 * nothing is cached until `trust`; reads begun before `distrust` answer their caller but are not
 * kept. Backstops for news lost without a dropped connection: an entry is read again `ttlMs` after
 * its read, and at most `maxEntries` are kept (the oldest read goes first).
 */

/** A node entered (`present`) or left a user. */
export interface PresenceChange {
  userId: string;
  nodeId: string;
  present: boolean;
}

export interface PresenceCacheOptions {
  /**
   * An entry is read again this long after it was read. Default 30 s: lost news (which a healthy
   * subscription does not lose) is wrong for half a minute at most, and a busy user costs one read
   * per 30 s instead of one per message.
   */
  ttlMs?: number;
  /** Entries kept at most; the oldest read is evicted first. Default 100,000 users. */
  maxEntries?: number;
  /** Epoch ms. */
  now?: () => number;
}

/**
 * A read of some users' presence in flight, from `beginRead` to `endRead` or `abortRead`. It lasts
 * one backend call (bounded by the command timeout), which bounds what it keeps.
 */
export interface PresenceRead {
  readonly userIds: readonly string[];
  readonly generation: number;
  /** The changes heard since `beginRead`, per user, in the order heard. */
  readonly heard: Map<string, PresenceChange[]>;
  /** Users `forget` was called for since `beginRead`: answered, not cached. */
  readonly forgotten: Set<string>;
}

interface Entry {
  nodes: Set<string>;
  readAt: number;
}

export class PresenceCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** In read order: the first key is the oldest read. */
  readonly #entries = new Map<string, Entry>();
  readonly #reads = new Set<PresenceRead>();
  /** Bumped by `distrust`: a read of an older generation is not cached. */
  #generation = 0;
  #trusted = false;

  constructor(options: PresenceCacheOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /** Users cached, fresh or not yet swept. */
  get size(): number {
    return this.#entries.size;
  }

  /** The nodes of `userId` (empty: nowhere) while the entry is fresh; undefined: read the backend. */
  get(userId: string): ReadonlySet<string> | undefined {
    const entry = this.#entries.get(userId);
    if (!entry) return undefined;
    if (this.#now() - entry.readAt >= this.#ttlMs) {
      this.#entries.delete(userId);
      return undefined;
    }
    return entry.nodes;
  }

  /** A change heard on the news channel: applied to the user's entry and to reads in flight. */
  apply(change: PresenceChange): void {
    const entry = this.#entries.get(change.userId);
    if (entry) applyTo(entry.nodes, change);
    for (const read of this.#reads) read.heard.get(change.userId)?.push(change);
  }

  /**
   * Drops the user's entry, and keeps reads in flight from caching it: the next `get` is a miss
   * until a read begun after this call ends.
   */
  forget(userId: string): void {
    this.#entries.delete(userId);
    for (const read of this.#reads) read.forgotten.add(userId);
  }

  /** Call before asking the backend about `userIds`; then `endRead` or `abortRead`. */
  beginRead(userIds: readonly string[]): PresenceRead {
    const read: PresenceRead = {
      userIds,
      generation: this.#trusted ? this.#generation : -1,
      heard: new Map(userIds.map((userId) => [userId, []])),
      forgotten: new Set(),
    };
    this.#reads.add(read);
    return read;
  }

  /**
   * The backend's answer to `read` (users missing from `snapshot`: nowhere), with the changes heard
   * meanwhile applied after it. Cached unless news may have been lost since `beginRead`.
   */
  endRead(
    read: PresenceRead,
    snapshot: ReadonlyMap<string, readonly string[]>,
  ): Map<string, ReadonlySet<string>> {
    this.#reads.delete(read);
    const keep = read.generation === this.#generation;
    const readAt = this.#now();
    const answer = new Map<string, ReadonlySet<string>>();
    for (const userId of read.userIds) {
      const nodes = new Set(snapshot.get(userId) ?? []);
      for (const change of read.heard.get(userId) ?? []) applyTo(nodes, change);
      answer.set(userId, nodes);
      if (keep && !read.forgotten.has(userId)) this.#store(userId, { nodes, readAt });
    }
    return answer;
  }

  /** The read failed: nothing is cached for it. */
  abortRead(read: PresenceRead): void {
    this.#reads.delete(read);
  }

  /** News may have been lost: every entry goes, and nothing is cached until `trust`. */
  distrust(): void {
    this.#trusted = false;
    this.#generation += 1;
    this.#entries.clear();
  }

  /** News is heard again (the subscription is confirmed): reads begun from now on are cached. */
  trust(): void {
    this.#trusted = true;
  }

  #store(userId: string, entry: Entry): void {
    // Deleted first so that a read again moves to the end: eviction takes the oldest read.
    this.#entries.delete(userId);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(userId, entry);
  }
}

function applyTo(nodes: Set<string>, change: PresenceChange): void {
  if (change.present) nodes.add(change.nodeId);
  else nodes.delete(change.nodeId);
}
