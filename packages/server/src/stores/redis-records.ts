/**
 * How RedisSessionStore lays records out in hashes, and reads them back. Hash values are strings;
 * a user field that is absent from the hash is null.
 */
import { Buffer } from 'node:buffer';
import type { SessionRecord, UserRecord } from '@hutong/core';
import { decodeProfile } from './store-support.js';

export type Hash = Record<string, string>;

/** A flat [field, value, …] reply as an object; null when empty (the key does not exist). */
export function toHash(reply: unknown): Hash | null {
  if (!Array.isArray(reply) || reply.length === 0) return null;
  const hash: Hash = {};
  for (let i = 0; i + 1 < reply.length; i += 2) hash[String(reply[i])] = String(reply[i + 1]);
  return hash;
}

export function toUser(h: Hash): UserRecord {
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

export function toSession(h: Hash): SessionRecord {
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

/** The session's hash fields, flat; only the record's own fields, plus `userRef`. */
export function sessionFields(session: SessionRecord): (string | number)[] {
  const { skey, userId, appid, openid, sessionKey, createdAt, lastSeenAt, expiresAt, idleExpiresAt } =
    session;
  const record = { skey, userId, appid, openid, sessionKey, createdAt, lastSeenAt, expiresAt, idleExpiresAt };
  return Object.entries({ ...record, userRef: userRef(appid, openid) }).flat();
}

/** Names a user within the key space. Unambiguous: the byte length of appid says where openid starts. */
export function userRef(appid: string, openid: string): string {
  return `${Buffer.byteLength(appid)}:${appid}:${openid}`;
}

/** Script arguments for one optional field: '' keeps it, 'n' clears it, 's' sets it. */
export function fieldArgs(value: string | null | undefined): [string, string] {
  if (value === undefined) return ['', ''];
  return value === null ? ['n', ''] : ['s', value];
}
