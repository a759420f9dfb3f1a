/**
 * SessionStore on Redis (standalone) through ioredis. Every operation is one Lua script (see
 * redis-scripts.ts): one round trip, atomic. Sessions expire by PEXPIRE, so `purgeExpired` has
 * nothing to do; TTLs follow this process's clock (`Date.now()`), reads still check `now`.
 *
 * Failure behaviour: the offline queue is off, so while Redis is unreachable a command fails at
 * once instead of waiting; `commandTimeout` bounds a hung connection. ioredis keeps reconnecting in
 * the background (`retryStrategy`), so the store recovers without a restart.
 */

import type { SessionRecord, SessionStore, SessionWithUser, UserRecord, UserUpsert } from '@hutong/core';
import type { Redis } from 'ioredis';
import { loadDriver } from '../drivers.js';
import { fieldArgs, type Hash, sessionFields, toHash, toSession, toUser, userRef } from './redis-records.js';
import { type RedisScriptName, redisScripts } from './redis-scripts.js';
import { RedisTrackingCache } from './redis-tracking-cache.js';
import { encodeProfile, guard, isLive, newUserId } from './store-support.js';

export interface RedisSessionStoreOptions {
  url: string;
  /** Prepended to every key. Default `hutong:`. */
  prefix?: string;
  /** Default 1000 ms. */
  connectTimeoutMs?: number;
  /** A command without a reply after this long fails. Default 1000 ms. */
  commandTimeoutMs?: number;
  /** Longest pause between reconnect attempts. Default 1000 ms. */
  maxReconnectDelayMs?: number;
  /**
   * Sessions and users kept in this process, invalidated by Redis (CLIENT TRACKING) the moment
   * another client changes them. Default 10,000 entries; 0 turns the cache off.
   */
  localCacheEntries?: number;
  /** How often the cache's invalidation link is checked; it stops serving after two misses. Default 1000 ms. */
  localCacheHeartbeatMs?: number;
}

type Script = (...args: (string | number)[]) => Promise<unknown>;

export class RedisSessionStore implements SessionStore {
  readonly kind = 'redis';
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #cache: RedisTrackingCache | undefined;
  readonly #connectTimeout: number;

  constructor(options: RedisSessionStoreOptions) {
    this.#prefix = options.prefix ?? 'hutong:';
    const maxDelay = options.maxReconnectDelayMs ?? 1000;
    const connectTimeout = options.connectTimeoutMs ?? 1000;
    this.#connectTimeout = connectTimeout;
    const { Redis } = loadDriver('ioredis', 'HUTONG_STORE=redis');
    const redis = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      // 0: commands in flight when the connection drops fail at once instead of waiting for a retry.
      maxRetriesPerRequest: 0,
      enableAutoPipelining: true,
      connectTimeout,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      retryStrategy: (attempt) => Math.min(attempt * 100, maxDelay),
    });
    this.#redis = redis;
    // Failures reach callers through rejected commands; without a listener ioredis would also
    // print every failed reconnect attempt.
    redis.on('error', () => {});
    // ioredis stops its connect timer once TCP connects; a server (or proxy) that accepts but never
    // answers the ready check would leave the client stuck in 'connect' for good.
    let readyTimer: NodeJS.Timeout | undefined;
    redis.on('connect', () => {
      clearTimeout(readyTimer);
      readyTimer = setTimeout(
        () => redis.status === 'connect' && redis.disconnect(true),
        connectTimeout,
      ).unref();
    });
    for (const event of ['ready', 'close']) redis.on(event, () => clearTimeout(readyTimer));
    for (const [name, script] of Object.entries(redisScripts)) redis.defineCommand(`hutong_${name}`, script);
    const cacheEntries = options.localCacheEntries ?? 10_000;
    this.#cache =
      cacheEntries > 0
        ? new RedisTrackingCache(redis, cacheEntries, options.localCacheHeartbeatMs)
        : undefined;
  }

  /** Whether reads are currently served through the tracked local cache (tests, metrics). */
  get cacheActive(): boolean {
    return this.#cache?.active ?? false;
  }

  /** Like `guard`; a timed-out command also drops the connection, which may be half-open. */
  #guard<T>(op: string, fn: () => Promise<T>): Promise<T> {
    return guard('redis', op, () =>
      fn().catch((error: unknown) => {
        if (error instanceof Error && error.message === 'Command timed out') this.#redis.disconnect(true);
        throw error;
      }),
    );
  }

  /** Runs a script of redis-scripts.ts; every script takes the key prefix as ARGV[1]. */
  #script(name: RedisScriptName, keys: string[], ...args: (string | number)[]): Promise<unknown> {
    const fn = (this.#redis as unknown as Record<string, Script>)[`hutong_${name}`]!;
    return fn.call(this.#redis, ...keys, this.#prefix, ...args);
  }

  #key(kind: 'user' | 'uid' | 'session' | 'user-sessions', id: string): string {
    return `${this.#prefix}${kind}:${id}`;
  }

  /** Connects the first time (and again after close); later calls just check the connection. */
  init(): Promise<void> {
    return this.#guard('init', async () => {
      const status = this.#redis.status;
      if (status === 'wait' || status === 'end') await this.#redis.connect();
      await this.#redis.ping();
      await this.#cache?.start(this.#connectTimeout);
    });
  }

  upsertUser(input: UserUpsert, now: number): Promise<UserRecord> {
    return this.#guard('upsertUser', async () => {
      const { appid, openid } = input;
      const ref = userRef(appid, openid);
      const profile = input.profile === undefined ? undefined : encodeProfile(input.profile);
      const fields = [...fieldArgs(input.unionid), ...fieldArgs(profile), ...fieldArgs(input.phoneNumber)];
      const keys = [this.#key('user', ref)];
      const hash = toHash(
        await this.#script('upsertUser', keys, ref, newUserId(), appid, openid, now, ...fields),
      );
      this.#cache?.invalidate(keys);
      if (!hash) throw new Error('upsert returned no user');
      return toUser(hash);
    });
  }

  getUser(appid: string, openid: string): Promise<UserRecord | null> {
    return this.#guard('getUser', async () => {
      const hash = await this.#redis.hgetall(this.#key('user', userRef(appid, openid)));
      return Object.keys(hash).length > 0 ? toUser(hash) : null;
    });
  }

  getUserById(id: string): Promise<UserRecord | null> {
    return this.#guard('getUserById', async () => {
      const hash = toHash(await this.#script('getUserById', [this.#key('uid', id)]));
      return hash ? toUser(hash) : null;
    });
  }

  /** The key lives until min(expiresAt, idleExpiresAt) by this process's clock. */
  createSession(session: SessionRecord, options: { replaceUserSessions: boolean }): Promise<void> {
    return this.#guard('createSession', async () => {
      const ttl = Math.min(session.expiresAt, session.idleExpiresAt) - Date.now();
      const keys = [this.#key('session', session.skey), this.#key('user-sessions', session.userId)];
      const replace = options.replaceUserSessions ? '1' : '0';
      const replaced = await this.#script(
        'createSession',
        keys,
        replace,
        ttl,
        session.skey,
        ...sessionFields(session),
      );
      this.#invalidateSessions([session.skey, ...(replaced as string[])]);
    });
  }

  getSession(skey: string, now: number): Promise<SessionWithUser | null> {
    const cache = this.#cache;
    if (cache?.active) return this.#guard('getSession', () => this.#cachedSession(cache, skey, now));
    return this.#guard('getSession', async () => {
      const reply = await this.#script('getSession', [this.#key('session', skey)]);
      if (!Array.isArray(reply)) return null;
      const [session, user] = [toHash(reply[0]), toHash(reply[1])];
      if (!session || !user) return null;
      const record = toSession(session);
      return isLive(record, now) ? { session: record, user: toUser(user) } : null;
    });
  }

  /**
   * Our own writes drop the local copies at once: Redis's invalidation message travels on another
   * connection and may arrive after the write's reply, and a read right after a write must see it.
   */
  #invalidateSessions(skeys: string[]): void {
    this.#cache?.invalidate(skeys.map((skey) => this.#key('session', skey)));
  }

  /** Two plain reads (tracked by Redis) on a miss, none on a hit. */
  async #cachedSession(
    cache: RedisTrackingCache,
    skey: string,
    now: number,
  ): Promise<SessionWithUser | null> {
    const read = (key: string) => async () => {
      const hash = await this.#redis.hgetall(key);
      return Object.keys(hash).length > 0 ? hash : null;
    };
    const sessionKey = this.#key('session', skey);
    const session = await cache.get(sessionKey, read(sessionKey));
    const ref = session?.['userRef'];
    if (!session || !ref) return null;
    const record = toSession(session);
    // The key's TTL follows this process's clock; a cached copy must not outlive the key.
    if (!isLive(record, now) || !isLive(record, Date.now())) return null;
    const userKey = this.#key('user', ref);
    const user = await cache.get(userKey, read(userKey));
    return user ? { session: record, user: toUser(user) } : null;
  }

  touchSession(skey: string, lastSeenAt: number, idleExpiresAt: number): Promise<void> {
    return this.#guard('touchSession', async () => {
      const keys = [this.#key('session', skey)];
      await this.#script('touchSession', keys, skey, lastSeenAt, idleExpiresAt, Date.now());
      this.#cache?.invalidate(keys);
    });
  }

  deleteSession(skey: string): Promise<boolean> {
    return this.#guard('deleteSession', async () => {
      const deleted = (await this.#script('deleteSession', [this.#key('session', skey)], skey)) === 1;
      this.#invalidateSessions([skey]);
      return deleted;
    });
  }

  deleteUserSessions(userId: string): Promise<number> {
    return this.#guard('deleteUserSessions', async () => {
      const deleted = (await this.#script('deleteUserSessions', [
        this.#key('user-sessions', userId),
      ])) as string[];
      this.#invalidateSessions(deleted);
      return deleted.length;
    });
  }

  listUserSessions(userId: string, now: number): Promise<SessionRecord[]> {
    return this.#guard('listUserSessions', async () => {
      const reply = await this.#script('listUserSessions', [this.#key('user-sessions', userId)]);
      const hashes = (Array.isArray(reply) ? reply : []).map(toHash).filter((h): h is Hash => h !== null);
      const sessions = hashes.map(toSession).filter((session) => isLive(session, now));
      return sessions.sort((a, b) => b.createdAt - a.createdAt || (a.skey < b.skey ? 1 : -1));
    });
  }

  /** Expired sessions disappear by TTL; there is never anything left to purge. */
  async purgeExpired(_now: number): Promise<number> {
    return 0;
  }

  ping(): Promise<void> {
    return this.#guard('ping', async () => {
      await this.#redis.ping();
    });
  }

  /** Quits politely when connected; otherwise just drops the socket and any reconnect timer. */
  async close(): Promise<void> {
    await this.#cache?.close();
    if (this.#redis.status === 'ready') {
      try {
        await this.#redis.quit();
        return;
      } catch {
        // fall through: the connection broke while quitting
      }
    }
    this.#redis.disconnect();
  }
}
