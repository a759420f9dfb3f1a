import { randomBytes } from 'node:crypto';
import type { Broker, ImSignal, RoutedPacket } from '@hutong/core';
import type { Redis } from 'ioredis';
import { loadDriver } from '../drivers.js';
import { guard } from '../stores/store-support.js';

export interface RedisBrokerOptions {
  url: string;
  /** Prepended to keys and channels. Default `hutong:`. */
  prefix?: string;
  nodeId?: string;
  /** A node not heard from for this long owns nothing. Default 15 s; refreshed every third of it. */
  nodeTtlMs?: number;
  commandTimeoutMs?: number;
}

/**
 * Broker on Redis pub/sub. Keys: `P tunnel:<id>` → node id (kept a day at most, as a backstop),
 * `P node:<id>` with a TTL the node refreshes (liveness), `P imuser:<id>` a set of the nodes holding
 * that user's devices (a day at most; dead nodes are filtered by liveness). Channels: `P node:<id>`
 * for one node (a JSON array of push packets, or `{"im": [signals]}`), `P all` for everyone.
 * Commands fail fast while Redis is down; ioredis reconnects and resubscribes by itself.
 */
export class RedisBroker implements Broker {
  readonly nodeId: string;
  readonly #redis: Redis;
  readonly #sub: Redis;
  readonly #prefix: string;
  readonly #ttl: number;
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
  }

  #key(kind: 'tunnel' | 'node' | 'imuser' | 'stats' | 'offer', id: string): string {
    return `${this.#prefix}${kind}:${id}`;
  }

  get #allChannel(): string {
    return `${this.#prefix}all`;
  }

  async start(deliver: (packets: RoutedPacket[]) => void): Promise<void> {
    await guard('redis', 'broker start', async () => {
      await Promise.all([this.#redis.connect(), this.#sub.connect()]);
      this.#sub.on('message', (_channel: string, message: string) => {
        try {
          const value = JSON.parse(message) as RoutedPacket[] | { im?: ImSignal[] };
          if (Array.isArray(value)) deliver(value);
          else if (Array.isArray(value.im)) this.#onSignals?.(value.im);
        } catch {
          // A malformed message on our channel is not ours to crash on.
        }
      });
      await this.#sub.subscribe(this.#key('node', this.nodeId), this.#allChannel);
      await this.#beat();
    });
    this.#heartbeat = setInterval(() => {
      this.#beat().catch(() => {});
    }, this.#ttl / 3).unref();
  }

  #beat(): Promise<unknown> {
    return this.#redis.set(this.#key('node', this.nodeId), String(Date.now()), 'PX', this.#ttl);
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

  send(nodeId: string, packets: RoutedPacket[]): Promise<void> {
    return guard('redis', 'send', async () => {
      await this.#redis.publish(this.#key('node', nodeId), JSON.stringify(packets));
    });
  }

  publish(packets: RoutedPacket[]): Promise<void> {
    return guard('redis', 'publish', async () => {
      await this.#redis.publish(this.#allChannel, JSON.stringify(packets));
    });
  }

  enter(userId: string): Promise<void> {
    return guard('redis', 'im enter', async () => {
      const key = this.#key('imuser', userId);
      await this.#redis.multi().sadd(key, this.nodeId).expire(key, 86_400).exec();
    });
  }

  leave(userId: string): Promise<void> {
    return guard('redis', 'im leave', async () => {
      await this.#redis.srem(this.#key('imuser', userId), this.nodeId);
    });
  }

  whereAre(userIds: readonly string[]): Promise<Map<string, string[]>> {
    return guard('redis', 'im presence', async () => {
      const found = new Map<string, string[]>();
      if (userIds.length === 0) return found;
      const pipeline = this.#redis.pipeline();
      for (const userId of userIds) pipeline.smembers(this.#key('imuser', userId));
      const sets = ((await pipeline.exec()) ?? []).map(([err, nodes]) => {
        if (err) throw err;
        return nodes as string[];
      });
      const nodes = [...new Set(sets.flat())];
      if (nodes.length === 0) return found;
      const alive = await this.#redis.mget(nodes.map((n) => this.#key('node', n)));
      const live = new Set(nodes.filter((_, i) => alive[i] !== null));
      userIds.forEach((userId, i) => {
        const here = (sets[i] ?? []).filter((n) => live.has(n));
        if (here.length > 0) found.set(userId, here);
      });
      return found;
    });
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
    await this.#redis.del(this.#key('node', this.nodeId)).catch(() => {});
    this.#redis.disconnect();
    this.#sub.disconnect();
  }
}
