/**
 * SessionStore on Redis (standalone) through ioredis. Every operation is one Lua script (see
 * redis-scripts.ts): one round trip, atomic. Sessions expire by PEXPIRE, so `purgeExpired` has
 * nothing to do; TTLs follow this process's clock (`Date.now()`), reads still check `now`.
 *
 * Failure behaviour: the offline queue is off, so while Redis is unreachable a command fails at
 * once instead of waiting; `commandTimeout` bounds a hung connection. ioredis keeps reconnecting in
 * the background (`retryStrategy`), so the store recovers without a restart.
 */
import { Buffer } from 'node:buffer';
import { Redis } from 'ioredis';
import { type RedisScriptName, redisScripts } from './redis-scripts.js';
import type { SessionRecord, SessionStore, SessionWithUser, UserRecord, UserUpsert } from './session-store.js';
import { decodeProfile, encodeProfile, guard, isLive, newUserId } from './store-support.js';

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
}

type Hash = Record<string, string>;
type Script = (...args: (string | number)[]) => Promise<unknown>;

/** A flat [field, value, …] reply as an object; null when empty (the key does not exist). */
function toHash(reply: unknown): Hash | null {
  if (!Array.isArray(reply) || reply.length === 0) return null;
  const hash: Hash = {};
  for (let i = 0; i + 1 < reply.length; i += 2) hash[String(reply[i])] = String(reply[i + 1]);
  return hash;
}

function toUser(h: Hash): UserRecord {
  return {
    id: h['id'] ?? '',
    appid: h['appid'] ?? '',
    openid: h['openid'] ?? '',
    unionid: h['unionid'] ?? null,
    profile: decodeProfile(h['profile']),
    phoneNumber: h['phoneNumber'] ?? null,
    createdAt: Number(h['createdAt']),
    updatedAt: Number(h['updatedAt']),
  };
}

function toSession(h: Hash): SessionRecord {
  return {
    skey: h['skey'] ?? '',
    userId: h['userId'] ?? '',
    appid: h['appid'] ?? '',
    openid: h['openid'] ?? '',
    sessionKey: h['sessionKey'] ?? '',
    createdAt: Number(h['createdAt']),
    lastSeenAt: Number(h['lastSeenAt']),
    expiresAt: Number(h['expiresAt']),
    idleExpiresAt: Number(h['idleExpiresAt']),
  };
}

/** Unambiguous for any appid/openid: the byte length of appid says where openid starts. */
function userRef(appid: string, openid: string): string {
  return `${Buffer.byteLength(appid)}:${appid}:${openid}`;
}

/** Script arguments for one optional field: '' keeps it, 'n' clears it, 's' sets it. */
function fieldArgs(value: string | null | undefined): [string, string] {
  if (value === undefined) return ['', ''];
  return value === null ? ['n', ''] : ['s', value];
}

export class RedisSessionStore implements SessionStore {
  readonly kind = 'redis';
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(options: RedisSessionStoreOptions) {
    this.#prefix = options.prefix ?? 'hutong:';
    const maxDelay = options.maxReconnectDelayMs ?? 1000;
    this.#redis = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 1,
      connectTimeout: options.connectTimeoutMs ?? 1000,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      retryStrategy: (attempt) => Math.min(attempt * 100, maxDelay),
    });
    // Failures reach callers through rejected commands; without a listener ioredis would also
    // print every failed reconnect attempt.
    this.#redis.on('error', () => {});
    for (const [name, script] of Object.entries(redisScripts)) this.#redis.defineCommand(`hutong_${name}`, script);
  }

  #script(name: RedisScriptName, ...args: (string | number)[]): Promise<unknown> {
    const fn = (this.#redis as unknown as Record<string, Script>)[`hutong_${name}`]!;
    return fn.call(this.#redis, ...args);
  }

  #key(kind: 'user' | 'uid' | 'session' | 'user-sessions', id: string): string {
    return `${this.#prefix}${kind}:${id}`;
  }

  /** Connects the first time (and again after close); later calls just check the connection. */
  init(): Promise<void> {
    return guard('redis', 'init', async () => {
      const status = this.#redis.status;
      if (status === 'wait' || status === 'end') await this.#redis.connect();
      await this.#redis.ping();
    });
  }

  upsertUser(input: UserUpsert, now: number): Promise<UserRecord> {
    return guard('redis', 'upsertUser', async () => {
      const { appid, openid } = input;
      const ref = userRef(appid, openid);
      const reply = await this.#script(
        'upsertUser',
        this.#key('user', ref),
        this.#prefix,
        ref,
        newUserId(),
        appid,
        openid,
        now,
        ...fieldArgs(input.unionid),
        ...fieldArgs(input.profile === undefined ? undefined : encodeProfile(input.profile)),
        ...fieldArgs(input.phoneNumber),
      );
      const hash = toHash(reply);
      if (!hash) throw new Error('upsert returned no user');
      return toUser(hash);
    });
  }

  getUser(appid: string, openid: string): Promise<UserRecord | null> {
    return guard('redis', 'getUser', async () => {
      const hash = toHash(await this.#redis.hgetall(this.#key('user', userRef(appid, openid))));
      return hash ? toUser(hash) : null;
    });
  }

  getUserById(id: string): Promise<UserRecord | null> {
    return guard('redis', 'getUserById', async () => {
      const hash = toHash(await this.#script('getUserById', this.#key('uid', id), this.#prefix));
      return hash ? toUser(hash) : null;
    });
  }

  createSession(session: SessionRecord, options: { replaceUserSessions: boolean }): Promise<void> {
    return guard('redis', 'createSession', async () => {
      const ttl = Math.min(session.expiresAt, session.idleExpiresAt) - Date.now();
      const { skey, userId, appid, openid, sessionKey, createdAt, lastSeenAt, expiresAt, idleExpiresAt } = session;
      const record = { skey, userId, appid, openid, sessionKey, createdAt, lastSeenAt, expiresAt, idleExpiresAt };
      const fields = Object.entries({ ...record, userRef: userRef(appid, openid) }).flat();
      await this.#script(
        'createSession',
        this.#key('session', session.skey),
        this.#key('user-sessions', session.userId),
        this.#prefix,
        options.replaceUserSessions ? '1' : '0',
        ttl,
        session.skey,
        ...fields,
      );
    });
  }

  getSession(skey: string, now: number): Promise<SessionWithUser | null> {
    return guard('redis', 'getSession', async () => {
      const reply = await this.#script('getSession', this.#key('session', skey), this.#prefix);
      if (!Array.isArray(reply)) return null;
      const session = toHash(reply[0]);
      const user = toHash(reply[1]);
      if (!session || !user) return null;
      const record = toSession(session);
      return isLive(record, now) ? { session: record, user: toUser(user) } : null;
    });
  }

  touchSession(skey: string, lastSeenAt: number, idleExpiresAt: number): Promise<void> {
    return guard('redis', 'touchSession', async () => {
      await this.#script(
        'touchSession',
        this.#key('session', skey),
        this.#prefix,
        skey,
        lastSeenAt,
        idleExpiresAt,
        Date.now(),
      );
    });
  }

  deleteSession(skey: string): Promise<boolean> {
    return guard('redis', 'deleteSession', async () => {
      return (await this.#script('deleteSession', this.#key('session', skey), this.#prefix, skey)) === 1;
    });
  }

  deleteUserSessions(userId: string): Promise<number> {
    return guard('redis', 'deleteUserSessions', async () => {
      return Number(await this.#script('deleteUserSessions', this.#key('user-sessions', userId), this.#prefix));
    });
  }

  listUserSessions(userId: string, now: number): Promise<SessionRecord[]> {
    return guard('redis', 'listUserSessions', async () => {
      const reply = await this.#script('listUserSessions', this.#key('user-sessions', userId), this.#prefix);
      const sessions = (Array.isArray(reply) ? reply : [])
        .map((item) => toHash(item))
        .filter((hash): hash is Hash => hash !== null)
        .map(toSession)
        .filter((session) => isLive(session, now));
      return sessions.sort((a, b) => b.createdAt - a.createdAt || (a.skey < b.skey ? 1 : -1));
    });
  }

  /** Expired sessions disappear by TTL; there is never anything left to purge. */
  async purgeExpired(_now: number): Promise<number> {
    return 0;
  }

  ping(): Promise<void> {
    return guard('redis', 'ping', async () => {
      await this.#redis.ping();
    });
  }

  /** Quits politely when connected; otherwise just drops the socket and any reconnect timer. */
  async close(): Promise<void> {
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
