import type { WxProfile } from '@hutong/protocol';

/** One WeChat user of one app. `id` is stable for (appid, openid) and is what Wafer 1 calls `id`. */
export interface UserRecord {
  /** 32 lowercase hex characters (128 random bits), assigned on first insert, never changed. */
  id: string;
  appid: string;
  openid: string;
  unionid: string | null;
  profile: WxProfile | null;
  phoneNumber: string | null;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
}

/** Fields to write on upsert; `undefined` leaves a stored value as it is, `null` clears it. */
export interface UserUpsert {
  appid: string;
  openid: string;
  unionid?: string | null;
  profile?: WxProfile | null;
  phoneNumber?: string | null;
}

export interface SessionRecord {
  /** The opaque session token (random, ≥128 bits, never derived from sessionKey). Primary key. */
  skey: string;
  userId: string;
  appid: string;
  openid: string;
  /** WeChat's session_key for this login. Server-side only: never returned to a client or logged. */
  sessionKey: string;
  /** Epoch milliseconds. */
  createdAt: number;
  lastSeenAt: number;
  /** Absolute end of the session (createdAt + absolute lifetime). */
  expiresAt: number;
  /** Sliding end of the session (lastSeenAt + idle lifetime). */
  idleExpiresAt: number;
}

export interface SessionWithUser {
  session: SessionRecord;
  user: UserRecord;
}

export type SessionStoreKind = 'sqlite' | 'redis' | 'mysql' | 'postgres';

/**
 * Where users and sessions live. Every implementation passes the shared suite in
 * `@hutong/core/testing` (`sessionStoreSuite`).
 *
 * Guarantees:
 * - `upsertUser` is atomic per (appid, openid): concurrent upserts of one user yield one row and
 *   one `id`.
 * - `createSession` with `replaceUserSessions` removes the user's other sessions and inserts the
 *   new one atomically: afterwards exactly one session of that user exists.
 * - Reads never return a session whose `expiresAt` or `idleExpiresAt` is at or before `now`.
 *   Expired rows may linger until `purgeExpired`; they are invisible to reads.
 * - Every failure of the backend (unreachable, timeout, broken connection) is thrown as a
 *   `HutongError` with code `ERR_STORE_UNAVAILABLE` (the driver error as `cause`), and the store
 *   recovers by itself once the backend is back: no restart needed.
 */
export interface SessionStore {
  readonly kind: SessionStoreKind;
  /** Creates or migrates the schema. Idempotent; safe to call from several nodes at once. */
  init(): Promise<void>;
  upsertUser(input: UserUpsert, now: number): Promise<UserRecord>;
  getUser(appid: string, openid: string): Promise<UserRecord | null>;
  getUserById(id: string): Promise<UserRecord | null>;
  createSession(session: SessionRecord, options: { replaceUserSessions: boolean }): Promise<void>;
  /** The live session and its user, in one round trip where the backend allows it. */
  getSession(skey: string, now: number): Promise<SessionWithUser | null>;
  /** Slides the idle expiry. A missing or expired session is left alone (no error). */
  touchSession(skey: string, lastSeenAt: number, idleExpiresAt: number): Promise<void>;
  deleteSession(skey: string): Promise<boolean>;
  deleteUserSessions(userId: string): Promise<number>;
  /** Live sessions of a user, newest first. */
  listUserSessions(userId: string, now: number): Promise<SessionRecord[]>;
  /** Deletes sessions expired at `now`; returns how many. Redis relies on TTLs and may return 0. */
  purgeExpired(now: number): Promise<number>;
  /** Throws ERR_STORE_UNAVAILABLE when the backend cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
