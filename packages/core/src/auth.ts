import { createHash } from 'node:crypto';
import type { PublicUser, WxUserInfo } from '@hutong/protocol';
import type { SessionRecord, SessionStore, SessionWithUser, UserRecord } from './session-store.js';

/** What a client may send next to its login code, in the three historical forms. */
export type UserDataInput =
  | { kind: 'encrypted'; encryptedData: string; iv: string }
  | { kind: 'legacy'; encryptData: string }
  | { kind: 'signed'; rawData: string; signature: string };

export interface LoginInput {
  code: string;
  appid?: string;
  userData?: UserDataInput;
  /** Client address, for the per-address rate limit. */
  ip?: string;
  /**
   * weapp-session's scheme: the client keeps sending its login code as the session id, so the
   * session's key is derived from the code (`codeSessionKey`) instead of being random, and the
   * user's previous code session ends (one live code per user, as the original).
   */
  keyedByCode?: boolean;
  /** A shorter absolute lifetime for this session, ms (weapp-session's `ttl`); never longer than configured. */
  ttlMs?: number;
}

/**
 * The session key of a session keyed by its login code (weapp-session): `wsc_` and the code's
 * SHA-256, so the store never holds the code itself. A business server checks the session by it.
 */
export function codeSessionKey(code: string): string {
  return `${CODE_SESSION_PREFIX}${createHash('sha256').update(code).digest('base64url')}`;
}

/** What every code-keyed session key starts with. */
export const CODE_SESSION_PREFIX = 'wsc_';

export interface LoginResult extends SessionWithUser {
  /** The user object in WeChat's shape (Wafer `user_info` / `userinfo`), openId from code2Session. */
  userInfo: WxUserInfo;
  /** True when this login created the user. */
  isNewUser: boolean;
}

/**
 * The session service in the same process (the server's `AuthService` implements it), as
 * node-sdk's in-process backend calls it. Errors are `HutongError`s: ERR_SESSION_INVALID for a
 * session that is unknown, expired or not the user's with `id`.
 */
export interface AuthPort {
  readonly store: SessionStore;
  login(input: LoginInput): Promise<LoginResult>;
  /** The live session for `skey` (sliding its idle expiry); with `id` (Wafer 1) it must be that user's. */
  check(skey: string, id?: string): Promise<SessionWithUser>;
}

/** Whole seconds from `from` until the session ends (the earlier of its two expiries). */
export function sessionSecondsLeft(
  session: Pick<SessionRecord, 'expiresAt' | 'idleExpiresAt'>,
  from: number,
): number {
  return Math.floor((Math.min(session.expiresAt, session.idleExpiresAt) - from) / 1000);
}

/** The user in WeChat's `userInfo` shape, as the Wafer dialects return it. */
export function wxUserInfoOf(user: UserRecord): WxUserInfo {
  const info: WxUserInfo = { ...(user.profile ?? {}), openId: user.openid };
  if (user.unionid) info.unionId = user.unionid;
  return info;
}

export function publicUserOf(user: UserRecord): PublicUser {
  const view: PublicUser = { id: user.id, appid: user.appid, openId: user.openid };
  if (user.unionid) view.unionId = user.unionid;
  if (user.profile) view.profile = user.profile;
  if (user.phoneNumber) view.phoneNumber = user.phoneNumber;
  return view;
}
