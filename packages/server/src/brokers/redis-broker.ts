import { randomBytes } from 'node:crypto';
import type { Broker, BusPacket, ImSignal } from '@hutong/core';
import type { Redis } from 'ioredis';
import { loadDriver } from '../drivers.js';
import { guard } from '../stores/store-support.js';
import { RedisNodeRoster } from './redis-node-roster.js';
import { RedisPresence } from './redis-presence.js';

export interface RedisBrokerOptions {
  url: string;
  /** Prepended to keys and channels. Default `hutong:`. */
  prefix?: string;
  nodeId?: string;
  /** A node not heard from for this long owns nothing. Default 15 s; refreshed every third of it. */
  nodeTtlMs?: number;
  commandTimeoutMs?: number;
  /** How long a user's cached presence is trusted before it is read again. Default 30 s. */
  presenceCacheTtlMs?: number;
  /** Users whose presence is cached, at most (the oldest read goes first). Default 100,000. */
  presenceCacheMaxUsers?: number;
}

/** Room moves and counts (they have an `op`); pushes have none. */
const isRoomPacket = (packet: BusPacket): boolean => 'op' in packet;

/**
 * Broker on Redis pub/sub. Keys: `P tunnel:<id>` → node id (kept a day at most, as a backstop),
 * `P stats:nodes` the nodes' reports, the nodes' liveness (redis-node-roster.ts) and IM presence
 * (redis-presence.ts). Channels: `P node:<id>` for one node (a JSON array of push packets,
 * `{"rooms": [room packets]}` or `{"im": [signals]}`), `P all` for everyone, `P presence` for
 * presence news. Room packets travel in their own envelope so that a node of an earlier version,
 * which reads every array as pushes, ignores them during a rolling upgrade rather than taking a
 * room join for a push (a close) to those tunnels.
 * Commands fail fast while Redis is down; ioredis reconnects and resubscribes by itself.
 */
export class RedisBroker implements Broker {
  readonly nodeId: string;
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #prefix: string;
  readonly #ttl: number;
  readonly #roster: RedisNodeRoster;
  readonly #presence: RedisPresence;
  #heartbeat: NodeJS.Timeout | undefined;
  #onSignals: ((signals: ImSignal[]) => void) | undefined;

  constructor(options: RedisBrokerOptions) {
    this.nodeId = options.nodeId ?? randomBytes(6).toString('hex');
    this.#prefix = options.prefix ?? 'hutong:';
    this.#ttl = options.nodeTtlMs ?? 15_000;
    const common = {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
    };
    const { Redis } = loadDriver('ioredis', 'HUTONG_BROKER=redis');
    this.#redis = new Redis(options.url, {
      ...common,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
    });
    this.#sub = new Redis(options.url, { ...common, enableOfflineQueue: true });
    for (const client of [this.#redis, this.#sub]) client.on('error', () => {});
    const shared = { redis: this.#redis, prefix: this.#prefix, channel: `${this.#prefix}presence` };
    this.#roster = new RedisNodeRoster({ ...shared, nodeId: this.nodeId, nodeTtlMs: this.#ttl });
    this.#presence = new RedisPresence({
      ...shared,
      roster: this.#roster,
      ...(options.presenceCacheTtlMs === undefined ? {} : { cacheTtlMs: options.presenceCacheTtlMs }),
      ...(options.presenceCacheMaxUsers === undefined
        ? {}
        : { cacheMaxEntries: options.presenceCacheMaxUsers }),
    });
  }

  #key(kind: 'tunnel' | 'node' | 'stats' | 'offer', id: string): string {
    return `${this.#prefix}${kind}:${id}`;
  }

  get #allChannel(): string {
    return `${this.#prefix}all`;
  }

  async start(deliver: (packets: BusPacket[]) => void): Promise<void> {
    await guard('redis', 'broker start', async () => {
      await Promise.all([this.#redis.connect(), this.#sub.connect()]);
      this.#sub.on('message', (channel: string, message: string) => {
        if (channel === this.#presence.channel) return; // the presence's (attach)
        try {
          const value = JSON.parse(message) as BusPacket[] | { im?: ImSignal[]; rooms?: BusPacket[] };
          if (Array.isArray(value)) deliver(value);
          else if (Array.isArray(value.rooms)) deliver(value.rooms);
          else if (Array.isArray(value.im)) this.#onSignals?.(value.im);
        } catch {
          // A malformed message on our channel is not ours to crash on.
        }
      });
      await this.#sub.subscribe(this.#key('node', this.nodeId), this.#allChannel);
      await this.#presence.attach(this.#sub);
      await this.#roster.heartbeat();
      await this.#roster.announce();
    });
    this.#heartbeat = setInterval(() => {
      this.#roster.heartbeat().catch(() => {});
    }, this.#ttl / 3).unref();
  }

  register(tunnelId: string): Promise<void> {
    return guard('redis', 'register', async () => {
      await this.#redis.set(this.#key('tunnel', tunnelId), this.nodeId, 'EX', 86_400);
    });
  }

  unregister(tunnelId: string): Promise<void> {
    return guard('redis', 'unregister', async () => {
      await this.#redis.del(this.#key('tunnel', tunnelId));
    });
  }

  locate(tunnelIds: readonly string[]): Promise<Map<string, string>> {
    return guard('redis', 'locate', async () => {
      const found = new Map<string, string>();
      if (tunnelIds.length === 0) return found;
      const owners = await this.#redis.mget(tunnelIds.map((id) => this.#key('tunnel', id)));
      const nodes = [...new Set(owners.filter((n): n is string => n !== null))];
      if (nodes.length === 0) return found;
      const alive = await this.#redis.mget(nodes.map((n) => this.#key('node', n)));
      const live = new Set(nodes.filter((_, i) => alive[i] !== null));
      tunnelIds.forEach((id, i) => {
        const owner = owners[i];
        if (owner && live.has(owner)) found.set(id, owner);
      });
      return found;
    });
  }

  send(nodeId: string, packets: BusPacket[]): Promise<void> {
    return guard('redis', 'send', () => this.#publish(this.#key('node', nodeId), packets));
  }

  publish(packets: BusPacket[]): Promise<void> {
    return guard('redis', 'publish', () => this.#publish(this.#allChannel, packets));
  }

  /** One PUBLISH per run of pushes or room packets, all issued at once: one connection keeps their order. */
  async #publish(channel: string, packets: BusPacket[]): Promise<void> {
    const messages: string[] = [];
    let run: BusPacket[] = [];
    const close = () => {
      if (run.length > 0) messages.push(JSON.stringify(isRoomPacket(run[0]!) ? { rooms: run } : run));
      run = [];
    };
    for (const packet of packets) {
      if (run.length > 0 && isRoomPacket(packet) !== isRoomPacket(run[0]!)) close();
      run.push(packet);
    }
    close();
    await Promise.all(messages.map((message) => this.#redis.publish(channel, message)));
  }

  /** From the roster's view (heartbeats and start/departure news), read again when stale. */
  nodes(): Promise<string[]> {
    return guard('redis', 'nodes', async () => {
      await this.#roster.current();
      return this.#roster.live();
    });
  }

  enter(userId: string): Promise<void> {
    return guard('redis', 'im enter', () => this.#presence.enter(userId));
  }

  leave(userId: string): Promise<void> {
    return guard('redis', 'im leave', () => this.#presence.leave(userId));
  }

  /** From memory in the common case (redis-presence.ts); a miss costs one round trip. */
  whereAre(userIds: readonly string[]): Promise<Map<string, string[]>> {
    return guard('redis', 'im presence', () => this.#presence.whereAre(userIds));
  }

  signal(nodeId: string, signals: ImSignal[]): Promise<void> {
    return guard('redis', 'im signal', async () => {
      await this.#redis.publish(this.#key('node', nodeId), JSON.stringify({ im: signals }));
    });
  }

  onSignals(listener: (signals: ImSignal[]) => void): void {
    this.#onSignals = listener;
  }

  offer(tunnelId: string, spec: string, ttlMs: number): Promise<void> {
    return guard('redis', 'offer', async () => {
      await this.#redis.set(this.#key('offer', tunnelId), spec, 'PX', ttlMs);
    });
  }

  claim(tunnelId: string): Promise<string | undefined> {
    return guard('redis', 'claim', async () => {
      const spec = await this.#redis.getdel(this.#key('offer', tunnelId));
      return spec ?? undefined;
    });
  }

  ping(): Promise<void> {
    return guard('redis', 'ping', async () => {
      await this.#redis.ping();
    });
  }

  report(stats: string): Promise<void> {
    return guard('redis', 'report', async () => {
      await this.#redis.hset(this.#key('stats', 'nodes'), this.nodeId, stats);
    });
  }

  reports(): Promise<Map<string, string>> {
    return guard('redis', 'reports', async () => {
      const all = await this.#redis.hgetall(this.#key('stats', 'nodes'));
      const nodes = Object.keys(all);
      const found = new Map<string, string>();
      if (nodes.length === 0) return found;
      const alive = await this.#redis.mget(nodes.map((n) => this.#key('node', n)));
      const dead = nodes.filter((_, i) => alive[i] === null);
      if (dead.length > 0) await this.#redis.hdel(this.#key('stats', 'nodes'), ...dead);
      nodes.forEach((node, i) => {
        if (alive[i] !== null) found.set(node, all[node]!);
      });
      return found;
    });
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    await this.#redis.hdel(this.#key('stats', 'nodes'), this.nodeId).catch(() => {});
    this.#presence.clear();
    await this.#roster.depart().catch(() => {});
    this.#redis.disconnect();
    this.#sub.disconnect();
  }
}
