/** Test data and checks for SessionStore tests: the shared suite's, and a store's own. */
import { randomBytes } from 'node:crypto';
import type { SessionRecord, UserRecord } from '../index.js';

/** `bytes` random bytes as lowercase hex. */
export const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A login no other test uses. */
export function login(): { appid: string; openid: string } {
  return { appid: `wx${randomHex(8)}`, openid: `o${randomBytes(18).toString('base64url')}` };
}

/** A fresh session of `user` created at `now` (1 h absolute, 10 min idle), with `overrides`. */
export function sessionOf(
  user: UserRecord,
  now: number,
  overrides: Partial<SessionRecord> = {},
): SessionRecord {
  return {
    skey: randomHex(32),
    userId: user.id,
    appid: user.appid,
    openid: user.openid,
    sessionKey: randomBytes(16).toString('base64'),
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + 3_600_000,
    idleExpiresAt: now + 600_000,
    ...overrides,
  };
}

/** Counts of the process's active handles by type, to check that `close()` releases everything. */
export function handles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

/** The handle types of which there are more now than in `before` (from `handles()`). */
export function leaked(before: Map<string, number>): string[] {
  return [...handles()].filter(([name, n]) => n > (before.get(name) ?? 0)).map(([name, n]) => `${name}×${n}`);
}
