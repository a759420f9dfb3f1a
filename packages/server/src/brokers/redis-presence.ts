import type { Presence } from '@hutong/core';
import type { Redis } from 'ioredis';
import { PresenceCache } from './presence-cache.js';
import { exec, type RedisNodeRoster, said } from './redis-node-roster.js';

/** What nodes announce on the presence channel, as JSON: presence changes, starts, departures. */
export type PresenceNews =
  | { op: 'enter' | 'leave'; node: string; user: string }
  | { op: 'up' | 'down'; node: string };

export interface RedisPresenceOptions {
  /** The command connection (not the subscriber). */
  redis: Redis;
  prefix: string;
  /** Where presence news is published and heard. */
  channel: string;
  /** Which nodes are live, and this node's id. */
  roster: RedisNodeRoster;
  /** See PresenceCache: entry lifetime (default 30 s) and bound (default 100,000 users). */
  cacheTtlMs?: number;
  cacheMaxEntries?: number;
}

/**
 * RedisBroker's Presence, answered from memory in the common case. Key `P imuser:<id>`: the set of
 * nodes holding the user's devices (a day at most; dead nodes are filtered by liveness). Channel
 * `P presence`: every `enter`/`leave` is written and announced in one MULTI, so no node hears of a
 * change Redis does not hold yet, and all news arrives on one subscription in Redis's order.
 *
 * `whereAre` answers from a PresenceCache kept current by that news and filters by the roster's
 * live nodes: no round trip. A miss reads the missed users' sets in one pipelined round trip and
 * caches them, "nowhere" too. This node's own presence is `#here`, exact at once. From a dropped
 * subscriber connection until the channel is subscribed again nothing is answered from the cache
 * (news may be missed), and then the cache starts empty.
 */
export class RedisPresence implements Presence {
  readonly nodeId: string;
  readonly channel: string;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #roster: RedisNodeRoster;
  readonly #cache: PresenceCache;
  readonly #here = new Set<string>();
  /** Reads in flight, per user: a second ask waits for the first. */
  readonly #reading = new Map<string, Promise<ReadonlySet<string>>>();

  constructor(options: RedisPresenceOptions) {
    this.nodeId = options.roster.nodeId;
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#roster = options.roster;
    this.channel = options.channel;
    this.#cache = new PresenceCache({
      ...(options.cacheTtlMs === undefined ? {} : { ttlMs: options.cacheTtlMs }),
      ...(options.cacheMaxEntries === undefined ? {} : { maxEntries: options.cacheMaxEntries }),
    });
  }

  /**
   * Hears the channel on `sub` (connected): resolves once subscribed. Afterwards, a dropped
   * connection distrusts the cache until the channel is subscribed again (our SUBSCRIBE's reply
   * comes after ioredis's own resubscription), and the live nodes are read again then.
   */
  async attach(sub: Redis): Promise<void> {
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.#hear(message);
    });
    await sub.subscribe(this.channel);
    this.#cache.trust();
    sub.on('close', () => this.#cache.distrust());
    sub.on('ready', () => {
      sub
        .subscribe(this.channel)
        .then(() => {
          this.#cache.trust();
          return this.#roster.heartbeat();
        })
        .catch(() => {});
    });
  }

  /**
   * Also drops what this node knew of the user, so its next `whereAre` of them reads Redis after
   * this write (the MULTI and that read leave in order on one connection): of two nodes entering a
   * user at once, one at least sees the other, which duplicate-login arbitration relies on. One
   * read per login, not per message.
   */
  async enter(userId: string): Promise<void> {
    this.#here.add(userId);
    this.#cache.forget(userId);
    this.#reading.delete(userId);
    const key = this.#userKey(userId);
    const news = said({ op: 'enter', node: this.nodeId, user: userId });
    await exec(this.#redis.multi().sadd(key, this.nodeId).expire(key, 86_400).publish(this.channel, news));
  }

  async leave(userId: string): Promise<void> {
    this.#here.delete(userId);
    const news = said({ op: 'leave', node: this.nodeId, user: userId });
    await exec(this.#redis.multi().srem(this.#userKey(userId), this.nodeId).publish(this.channel, news));
  }

  async whereAre(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const others = new Map<string, ReadonlySet<string>>();
    const missed: string[] = [];
    const waits: Promise<unknown>[] = [];
    for (const userId of new Set(userIds)) {
      const cached = this.#cache.get(userId);
      const reading = cached ? undefined : this.#reading.get(userId);
      if (cached) others.set(userId, cached);
      else if (reading) waits.push(reading.then((nodes) => others.set(userId, nodes)));
      else missed.push(userId);
    }
    if (missed.length > 0) {
      waits.push(
        this.#read(missed).then((read) => {
          for (const [user, nodes] of read) others.set(user, nodes);
        }),
      );
    }
    const liveness = this.#roster.current();
    if (liveness) waits.push(liveness);
    await Promise.all(waits);
    const found = new Map<string, string[]>();
    for (const [userId, nodes] of others) {
      const live = [...nodes].filter((node) => this.#roster.isLive(node));
      if (this.#here.has(userId)) live.push(this.nodeId);
      if (live.length > 0) found.set(userId, live);
    }
    return found;
  }

  /** Closing: this node holds nobody any more. */
  clear(): void {
    this.#here.clear();
  }

  #hear(message: string): void {
    let news: PresenceNews;
    try {
      news = JSON.parse(message) as PresenceNews;
    } catch {
      return; // not ours to crash on
    }
    if (typeof news.node !== 'string' || news.node === this.nodeId) return; // ours: `#here` knows
    this.#roster.hear(news);
    if ((news.op === 'enter' || news.op === 'leave') && typeof news.user === 'string') {
      this.#cache.apply({ userId: news.user, nodeId: news.node, present: news.op === 'enter' });
    }
  }

  #read(userIds: string[]): Promise<Map<string, ReadonlySet<string>>> {
    const read = this.#cache.beginRead(userIds);
    const mine = new Map<string, Promise<ReadonlySet<string>>>();
    const done = (async () => {
      try {
        const pipeline = this.#redis.pipeline();
        for (const userId of userIds) pipeline.smembers(this.#userKey(userId));
        const sets = (await exec(pipeline)) as string[][];
        // Without this node: `#here` answers for it.
        const snapshot = new Map(
          userIds.map((u, i) => [u, (sets[i] ?? []).filter((n) => n !== this.nodeId)]),
        );
        return this.#cache.endRead(read, snapshot);
      } catch (error) {
        this.#cache.abortRead(read);
        throw error;
      } finally {
        for (const [userId, nodes] of mine)
          if (this.#reading.get(userId) === nodes) this.#reading.delete(userId);
      }
    })();
    for (const userId of userIds) {
      const nodes = done.then((answer) => answer.get(userId) ?? new Set<string>());
      nodes.catch(() => {}); // the error reaches whoever waits on it; nobody else
      this.#reading.set(userId, nodes);
      mine.set(userId, nodes);
    }
    return done;
  }

  #userKey(userId: string): string {
    return `${this.#prefix}imuser:${userId}`;
  }
}
