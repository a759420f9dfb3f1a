/**
 * Pieces every SessionStore implementation shares: id generation, error mapping, liveness and the
 * snake_case row shape the two SQL stores (SQLite, Kysely) read and write.
 */
import { randomBytes } from 'node:crypto';
import type { SessionRecord, UserRecord, UserUpsert } from '@hutong/core';
import { HutongError, type WxProfile } from '@hutong/protocol';

/** A new user id: 32 lowercase hex characters, 128 random bits. */
export function newUserId(): string {
  return randomBytes(16).toString('hex');
}

/** Wraps a driver failure; the message names the store and operation, never the data. */
export function storeUnavailable(store: string, op: string, cause: unknown): HutongError {
  if (cause instanceof HutongError) return cause;
  return new HutongError('ERR_STORE_UNAVAILABLE', `${store} session store: ${op} failed`, { cause });
}

/** Runs `fn`, turning anything it throws or rejects with into ERR_STORE_UNAVAILABLE. */
export async function guard<T>(store: string, op: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw storeUnavailable(store, op, error);
  }
}

/** The interface's liveness rule: both expiries strictly after `now`. */
export function isLive(session: Pick<SessionRecord, 'expiresAt' | 'idleExpiresAt'>, now: number): boolean {
  return session.expiresAt > now && session.idleExpiresAt > now;
}

export function encodeProfile(profile: WxProfile | null | undefined): string | null {
  return profile == null ? null : JSON.stringify(profile);
}

export function decodeProfile(text: string | null | undefined): WxProfile | null {
  return text == null ? null : (JSON.parse(text) as WxProfile);
}

/** Which optional fields an upsert writes (`undefined` = keep), already encoded for storage. */
export interface UpsertFields {
  unionid?: string | null;
  profile?: string | null;
  phone_number?: string | null;
}

export function upsertFields(input: UserUpsert): UpsertFields {
  const fields: UpsertFields = {};
  if (input.unionid !== undefined) fields.unionid = input.unionid;
  if (input.profile !== undefined) fields.profile = encodeProfile(input.profile);
  if (input.phoneNumber !== undefined) fields.phone_number = input.phoneNumber;
  return fields;
}

/** Epoch-ms columns arrive as number (SQLite, mysql2) or string (pg BIGINT). */
type Millis = number | string | bigint;

export interface UserRow {
  id: string;
  appid: string;
  openid: string;
  unionid: string | null;
  profile: string | null;
  phone_number: string | null;
  created_at: Millis;
  updated_at: Millis;
}

/** A sessions row as read (`M` = Millis) or as written (`M` = number). */
export interface SessionRow<M = Millis> {
  skey: string;
  user_id: string;
  appid: string;
  openid: string;
  session_key: string;
  created_at: M;
  last_seen_at: M;
  expires_at: M;
  idle_expires_at: M;
}

export function toUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    appid: row.appid,
    openid: row.openid,
    unionid: row.unionid,
    profile: decodeProfile(row.profile),
    phoneNumber: row.phone_number,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function toSession(row: SessionRow): SessionRecord {
  return {
    skey: row.skey,
    userId: row.user_id,
    appid: row.appid,
    openid: row.openid,
    sessionKey: row.session_key,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    idleExpiresAt: Number(row.idle_expires_at),
  };
}

export function fromSession(session: SessionRecord): SessionRow<number> {
  return {
    skey: session.skey,
    user_id: session.userId,
    appid: session.appid,
    openid: session.openid,
    session_key: session.sessionKey,
    created_at: session.createdAt,
    last_seen_at: session.lastSeenAt,
    expires_at: session.expiresAt,
    idle_expires_at: session.idleExpiresAt,
  };
}

/** Columns of a users row prefixed `u_`, so a sessions⋈users row can carry both without clashes. */
export type JoinedRow = SessionRow & { [K in keyof UserRow as `u_${K}`]: UserRow[K] };

export function splitJoined(row: JoinedRow): { session: SessionRecord; user: UserRecord } {
  return {
    session: toSession(row),
    user: toUser({
      id: row.u_id,
      appid: row.u_appid,
      openid: row.u_openid,
      unionid: row.u_unionid,
      profile: row.u_profile,
      phone_number: row.u_phone_number,
      created_at: row.u_created_at,
      updated_at: row.u_updated_at,
    }),
  };
}
