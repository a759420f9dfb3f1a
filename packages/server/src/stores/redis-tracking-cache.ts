/**
 * A per-process cache of Redis hashes kept correct by Redis's server-assisted client-side caching
 * (`CLIENT TRACKING … REDIRECT`, Redis 6+): Redis remembers which keys this client read and
 * publishes on `__redis__:invalidate` (to a second connection) when any of them changes, expires
 * or is deleted; the entry is dropped on the spot.
 *
 * Guarantees:
 * - Nothing is cached or served from the cache unless tracking is confirmed on the current
 *   connection; any disconnect of either connection empties the cache.
 * - A read that races an invalidation of its key is not cached (per-key fetch tokens).
 * - At most `maxEntries` hashes, least recently used dropped first.
 * - Staleness is bounded when the network, not Redis, fails: the subscriber is pinged every
 *   `heartbeatMs`, and the cache stops serving once no pong came for two periods (a partition
 *   that leaves both sockets half-open would otherwise hide every invalidation).
 * A change made by another node is therefore seen here as soon as its invalidation arrives
 * (sub-millisecond on a LAN); callers still check expiry times themselves.
 */
import type { Redis } from 'ioredis';
import { LruMap } from './lru-map.js';
import type { Hash } from './redis-records.js';

const CHANNEL = '__redis__:invalidate';

export class RedisTrackingCache {
  readonly #main: Redis;
  readonly #sub: Redis;
  readonly #entries: LruMap<string, Hash>;
  readonly #pending = new Map<string, number>();
  #seq = 0;
  #active = false;
  #subId: number | undefined;
  readonly #heartbeatMs: number;
  #lastPong = 0;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(main: Redis, maxEntries: number, heartbeatMs = 1000) {
    this.#main = main;
    this.#entries = new LruMap(maxEntries);
    this.#heartbeatMs = heartbeatMs;
    // The subscriber asks for its own id before subscribing on every connect, so no auto-resubscribe.
    this.#sub = main.duplicate({ enableAutoPipelining: false, autoResubscribe: false });
    this.#sub.on('error', () => {});
    this.#sub.on('message', (_channel: string, message: unknown) => this.#invalidate(message));
    this.#sub.on('ready', () => {
      this.#subscribe().catch(() => this.#sub.disconnect(true));
    });
    main.on('ready', () => {
      this.#track().catch(() => {});
    });
    main.on('close', () => this.#deactivate());
    this.#sub.on('close', () => {
      this.#subId = undefined;
      this.#deactivate();
    });
  }

  /** Serving from the cache: tracking confirmed and the subscriber answered lately. */
  get active(): boolean {
    if (!this.#active) return false;
    if (Date.now() - this.#lastPong <= 2 * this.#heartbeatMs) return true;
    this.#deactivate();
    this.#sub.disconnect(true);
    return false;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Connects the subscriber and waits (at most `waitMs`) for tracking to be confirmed. */
  async start(waitMs = 1000): Promise<void> {
    if (this.#sub.status === 'wait' || this.#sub.status === 'end') await this.#sub.connect();
    const deadline = Date.now() + waitMs;
    while (!this.#active && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    this.#heartbeat ??= setInterval(() => {
      if (this.#sub.status !== 'ready') return;
      this.#sub.ping().then(
        () => {
          this.#lastPong = Date.now();
        },
        () => {},
      );
    }, this.#heartbeatMs).unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    this.#deactivate();
    this.#sub.disconnect();
  }

  /** The hash at `key`, from the cache or from `fetch` (which must read `key` on the main client). */
  async get(key: string, fetch: () => Promise<Hash | null>): Promise<Hash | null> {
    if (this.active) {
      const hit = this.#entries.get(key);
      if (hit) return hit;
    }
    const token = ++this.#seq;
    const cacheable = this.active;
    if (cacheable) this.#pending.set(key, token);
    const value = await fetch();
    if (cacheable && this.#pending.get(key) === token) {
      this.#pending.delete(key);
      if (value && this.#active) this.#entries.set(key, value);
    }
    return value;
  }

  /** Drops local copies of `keys` and voids reads of them still in flight. */
  invalidate(keys: readonly string[]): void {
    this.#invalidate(keys);
  }

  /** Redis sends the invalidated keys, or null when the whole keyspace was flushed. */
  #invalidate(message: unknown): void {
    const keys = Array.isArray(message) ? message : message === null ? null : [message];
    if (keys === null) {
      this.#entries.clear();
      this.#pending.clear();
      return;
    }
    for (const key of keys) {
      this.#entries.delete(String(key));
      this.#pending.delete(String(key));
    }
  }

  async #subscribe(): Promise<void> {
    this.#subId = Number(await this.#sub.call('CLIENT', 'ID'));
    await this.#sub.subscribe(CHANNEL);
    await this.#track();
  }

  /** Turns tracking on for the main connection, redirected to the subscriber; both must be up. */
  async #track(): Promise<void> {
    const id = this.#subId;
    if (id === undefined || this.#sub.status !== 'ready' || this.#main.status !== 'ready') return;
    await this.#main.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(id));
    if (this.#sub.status === 'ready' && this.#main.status === 'ready' && this.#subId === id) {
      this.#lastPong = Date.now();
      this.#active = true;
    }
  }

  #deactivate(): void {
    this.#active = false;
    this.#entries.clear();
    this.#pending.clear();
  }
}
