import type { Redis } from 'ioredis';
import { LiveNodes } from './live-nodes.js';
import type { PresenceNews } from './redis-presence.js';

export interface RedisNodeRosterOptions {
  /** The command connection (not the subscriber). */
  redis: Redis;
  prefix: string;
  nodeId: string;
  nodeTtlMs: number;
  /** Where starts and departures are announced: the presence channel, so that a node's `up` reaches
   * every node before its first `enter`. */
  channel: string;
  /** Epoch ms. */
  now?: () => number;
}

/**
 * Every node in the set with the time its liveness key has left, as node, ms, node, ms…; a node
 * whose key is gone leaves the set (it died without a word). KEYS[1]: the set; ARGV[1]: the
 * liveness keys' prefix. It names keys it was not given, as the broker's MGET across nodes does:
 * one Redis, not Redis Cluster.
 */
const LIVE_NODES = `
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local ttl = redis.call('PTTL', ARGV[1] .. node)
  if ttl == -2 then
    redis.call('SREM', KEYS[1], node)
  else
    out[#out + 1] = node
    out[#out + 1] = ttl
  end
end
return out`;

/**
 * The cluster's nodes on Redis, known locally (LiveNodes) so that asking whether one is live costs
 * no round trip. Keys: `P node:<id>`, a node's liveness (a TTL it refreshes every third of it);
 * `P nodes`, the set of node ids (a day at most after the last heartbeat). Each `heartbeat`
 * refreshes this node's key and reads every node's in one round trip; a node announces its start
 * and departure on the channel, so the others know at once.
 *
 * The view is trusted while it is at most half a node TTL old: a live node beats every third of
 * the TTL, so each reading found at least two thirds left on its key, and within half a TTL of
 * the reading none reads as dead by mistake. An older view (a late timer, Redis away) is read
 * again before it is used (`current`).
 */
export class RedisNodeRoster {
  readonly nodeId: string;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #channel: string;
  readonly #live: LiveNodes;
  readonly #now: () => number;
  /** When the last successful reading was sent, epoch ms. */
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<void> | undefined;

  constructor(options: RedisNodeRosterOptions) {
    this.nodeId = options.nodeId;
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#ttlMs = options.nodeTtlMs;
    this.#channel = options.channel;
    this.#now = options.now ?? Date.now;
    this.#live = new LiveNodes({ nodeTtlMs: options.nodeTtlMs, now: this.#now });
  }

  /** Undefined while the view can be trusted; else a reading of it (one for every caller). */
  current(): Promise<void> | undefined {
    if (this.#now() - this.#readAt <= this.#ttlMs / 2) return undefined;
    this.#reading ??= this.heartbeat().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  /** This node is live for itself; another while its liveness key lasts, or until it departs. */
  isLive(nodeId: string): boolean {
    return nodeId === this.nodeId || this.#live.isLive(nodeId);
  }

  /** The live nodes as this node sees them, itself first (read `current` before, to trust it). */
  live(): string[] {
    return [this.nodeId, ...this.#live.list().filter((node) => node !== this.nodeId)];
  }

  /** Refreshes this node's liveness and reads every node's: one round trip. */
  async heartbeat(): Promise<void> {
    const sentAt = this.#now();
    const results = await exec(
      this.#redis
        .pipeline()
        .set(this.#nodeKey(this.nodeId), String(sentAt), 'PX', this.#ttlMs)
        .sadd(this.#nodesKey, this.nodeId)
        .expire(this.#nodesKey, 86_400)
        .eval(LIVE_NODES, 1, this.#nodesKey, this.#nodeKey('')),
    );
    const list = (results[3] ?? []) as (string | number)[];
    const ttls = new Map<string, number>();
    for (let i = 0; i + 1 < list.length; i += 2) {
      const ttl = Number(list[i + 1]);
      ttls.set(String(list[i]), ttl >= 0 ? ttl : this.#ttlMs);
    }
    this.#live.refresh(ttls, sentAt);
    this.#readAt = Math.max(this.#readAt, sentAt);
  }

  /** Tells the others this node is up (after its first heartbeat). */
  async announce(): Promise<void> {
    await this.#redis.publish(this.#channel, said({ op: 'up', node: this.nodeId }));
  }

  /** This node leaves: no longer live, for the others at once. */
  async depart(): Promise<void> {
    this.#live.clear();
    this.#readAt = Number.NEGATIVE_INFINITY;
    await exec(
      this.#redis
        .multi()
        .del(this.#nodeKey(this.nodeId))
        .srem(this.#nodesKey, this.nodeId)
        .publish(this.#channel, said({ op: 'down', node: this.nodeId })),
    );
  }

  /** News from the channel: starts and departures (the rest is presence's). */
  hear(news: PresenceNews): void {
    if (news.node === this.nodeId) return;
    if (news.op === 'up') this.#live.up(news.node);
    else if (news.op === 'down') this.#live.down(news.node);
  }

  #nodeKey(nodeId: string): string {
    return `${this.#prefix}node:${nodeId}`;
  }

  get #nodesKey(): string {
    return `${this.#prefix}nodes`;
  }
}

export const said = (news: PresenceNews): string => JSON.stringify(news);

/** Runs a MULTI or pipeline: each command's result, or the first error. */
export async function exec(batch: { exec(): Promise<[Error | null, unknown][] | null> }): Promise<unknown[]> {
  const results = (await batch.exec()) ?? [];
  return results.map(([error, result]) => {
    if (error) throw error;
    return result;
  });
}
