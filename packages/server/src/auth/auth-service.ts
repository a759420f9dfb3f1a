import { randomBytes } from 'node:crypto';
import type { AppCredentials, WeChatApi } from '@hutong/core';
import {
  type AuthPort,
  CODE_SESSION_PREFIX,
  codeSessionKey,
  type LoginInput,
  type LoginResult,
  type SessionRecord,
  type SessionStore,
  type SessionWithUser,
  type UserRecord,
  wxUserInfoOf,
} from '@hutong/core';
import { HutongError, isHutongError, type PhoneInfo, type WxProfile } from '@hutong/protocol';
import { safeEqual } from '@hutong/protocol/wechat-crypto';
import { type RateLimit, RateLimiter } from './rate-limiter.js';
import { verifyUserData } from './user-data.js';

export interface AuthOptions {
  apps: readonly AppCredentials[];
  /** The app used when a caller names none; defaults to the first of `apps`. */
  defaultAppid?: string;
  store: SessionStore;
  wechat: WeChatApi;
  /** Absolute session lifetime from login, ms. Default 30 days. */
  sessionTtlMs?: number;
  /** Idle lifetime, sliding with use, ms. Default 7 days. */
  sessionIdleTtlMs?: number;
  /** One live session per user: a new login ends the others. Default false (several devices). */
  singleSession?: boolean;
  /** Largest accepted age of encrypted user data (watermark), ms. Default 10 minutes. */
  userDataMaxAgeMs?: number;
  /** Login attempts per client address. Default 60 a minute. */
  loginRatePerIp?: RateLimit;
  /** Logins per WeChat user. Default 20 a minute. */
  loginRatePerUser?: RateLimit;
  /** A session's idle expiry is written back at most this often, ms. Default 60 s. */
  touchIntervalMs?: number;
  now?: () => number;
}

/** Sessions a logout ended: one (`skey`), or every session of the user (`all`). */
export type SessionsEnded = { openid: string; skey: string } | { openid: string; all: true };

export const authDefaults = {
  sessionTtlMs: 30 * 24 * 3600_000,
  sessionIdleTtlMs: 7 * 24 * 3600_000,
  userDataMaxAgeMs: 10 * 60_000,
  loginRatePerIp: { limit: 60, windowMs: 60_000 },
  loginRatePerUser: { limit: 20, windowMs: 60_000 },
  touchIntervalMs: 60_000,
} as const;

/**
 * Turns WeChat login codes into Hutong sessions and checks them. The session token (`skey`) is
 * 192 random bits, unrelated to WeChat's session_key, which stays in the store.
 */
export class AuthService implements AuthPort {
  readonly store: SessionStore;
  private readonly apps: Map<string, AppCredentials>;
  private readonly defaultAppid: string;
  private readonly wechat: WeChatApi;
  private readonly now: () => number;
  private readonly ttl: number;
  private readonly idleTtl: number;
  private readonly singleSession: boolean;
  private readonly userDataMaxAgeMs: number;
  private readonly touchIntervalMs: number;
  private readonly perIp: RateLimiter;
  private readonly perUser: RateLimiter;

  constructor(options: AuthOptions) {
    const first = options.apps[0];
    if (!first) throw new TypeError('AuthService needs at least one app');
    this.apps = new Map(options.apps.map((app) => [app.appid, app]));
    this.defaultAppid = options.defaultAppid ?? first.appid;
    if (!this.apps.has(this.defaultAppid))
      throw new TypeError(`default app ${this.defaultAppid} is not configured`);
    this.store = options.store;
    this.wechat = options.wechat;
    this.now = options.now ?? Date.now;
    this.ttl = options.sessionTtlMs ?? authDefaults.sessionTtlMs;
    this.idleTtl = options.sessionIdleTtlMs ?? authDefaults.sessionIdleTtlMs;
    this.singleSession = options.singleSession ?? false;
    this.userDataMaxAgeMs = options.userDataMaxAgeMs ?? authDefaults.userDataMaxAgeMs;
    this.touchIntervalMs = options.touchIntervalMs ?? authDefaults.touchIntervalMs;
    this.perIp = new RateLimiter(options.loginRatePerIp ?? authDefaults.loginRatePerIp, this.now);
    this.perUser = new RateLimiter(options.loginRatePerUser ?? authDefaults.loginRatePerUser, this.now);
  }

  app(appid?: string): AppCredentials {
    const app = this.apps.get(appid ?? this.defaultAppid);
    if (!app) throw new HutongError('ERR_APP_UNKNOWN', `App ${String(appid).slice(0, 64)} is not configured`);
    return app;
  }

  /** Logins by outcome: `ok`, or the error code they failed with (metrics). */
  readonly logins = new Map<string, number>();

  async login(input: LoginInput): Promise<LoginResult> {
    let outcome = 'ok';
    try {
      return await this.#login(input);
    } catch (error) {
      outcome = isHutongError(error) ? error.code : 'ERR_INTERNAL';
      throw error;
    } finally {
      this.logins.set(outcome, (this.logins.get(outcome) ?? 0) + 1);
    }
  }

  async #login(input: LoginInput): Promise<LoginResult> {
    if (input.ip) this.perIp.hit(input.ip);
    const app = this.app(input.appid);
    const wx = await this.wechat.code2Session(app, input.code);
    this.perUser.hit(`${app.appid}\n${wx.openid}`);
    const now = this.now();
    const verified = input.userData
      ? verifyUserData(input.userData, {
          appid: app.appid,
          openid: wx.openid,
          sessionKey: wx.sessionKey,
          maxAgeMs: this.userDataMaxAgeMs,
          now,
        })
      : undefined;
    const existing = await this.store.getUser(app.appid, wx.openid);
    const unionid = wx.unionid ?? verified?.unionId;
    const user = await this.store.upsertUser(
      {
        appid: app.appid,
        openid: wx.openid,
        ...(unionid ? { unionid } : {}),
        ...(verified ? { profile: verified.profile } : {}),
      },
      now,
    );
    const ttl = Math.min(this.ttl, input.ttlMs ?? this.ttl);
    const session: SessionRecord = {
      skey: input.keyedByCode ? codeSessionKey(input.code) : randomBytes(24).toString('base64url'),
      userId: user.id,
      appid: app.appid,
      openid: wx.openid,
      sessionKey: wx.sessionKey,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + ttl,
      idleExpiresAt: Math.min(now + this.idleTtl, now + ttl),
    };
    if (input.keyedByCode && !this.singleSession) await this.#endCodeSessions(user.id, now);
    await this.store.createSession(session, { replaceUserSessions: this.singleSession });
    const userInfo = verified
      ? { ...verified.userInfo, ...(unionid ? { unionId: unionid } : {}) }
      : wxUserInfoOf(user);
    return { session, user, userInfo, isNewUser: existing === null };
  }

  /** Ends the user's earlier code-keyed sessions (one live code per user); other sessions stay. */
  async #endCodeSessions(userId: string, now: number): Promise<void> {
    for (const old of await this.store.listUserSessions(userId, now)) {
      if (old.skey.startsWith(CODE_SESSION_PREFIX)) await this.store.deleteSession(old.skey);
    }
  }

  /**
   * The live session for `skey`, or ERR_SESSION_INVALID. With `id` (Wafer 1), the session must
   * also belong to the user with that id. Slides the idle expiry.
   */
  async check(skey: string, id?: string): Promise<SessionWithUser> {
    const now = this.now();
    const found = skey ? await this.store.getSession(skey, now) : null;
    if (!found || (id !== undefined && !safeEqual(found.user.id, id))) {
      throw new HutongError('ERR_SESSION_INVALID');
    }
    const { session } = found;
    if (now - session.lastSeenAt >= this.touchIntervalMs) {
      const idleExpiresAt = Math.min(now + this.idleTtl, session.expiresAt);
      await this.store.touchSession(session.skey, now, idleExpiresAt);
      found.session = { ...session, lastSeenAt: now, idleExpiresAt };
    }
    return found;
  }

  readonly #ended = new Set<(ended: SessionsEnded) => void>();

  /**
   * Calls `listener` after each logout, once the sessions are deleted (createHutong: the IM hub
   * closes the connections that logged in with them, on every node).
   */
  onSessionsEnded(listener: (ended: SessionsEnded) => void): void {
    this.#ended.add(listener);
  }

  async logout(skey: string): Promise<boolean> {
    if (!skey) return false;
    // Whose session it was, for the listeners; no extra read when nobody listens.
    const found = this.#ended.size > 0 ? await this.store.getSession(skey, this.now()) : null;
    const deleted = await this.store.deleteSession(skey);
    if (deleted && found) for (const listener of this.#ended) listener({ openid: found.user.openid, skey });
    return deleted;
  }

  /** Ends every session of the session's user (log out everywhere). */
  async logoutEverywhere(skey: string): Promise<number> {
    const { user } = await this.check(skey);
    const ended = await this.store.deleteUserSessions(user.id);
    for (const listener of this.#ended) listener({ openid: user.openid, all: true });
    return ended;
  }

  /** Exchanges a getPhoneNumber code for the number and binds it to the session's user. */
  async bindPhoneNumber(skey: string, code: string): Promise<{ user: UserRecord; phone: PhoneInfo }> {
    const { user } = await this.check(skey);
    const app = this.app(user.appid);
    let phone: PhoneInfo;
    try {
      phone = await this.wechat.getPhoneNumber(app, code, user.openid);
    } catch (error) {
      if (
        error instanceof HutongError &&
        (error.code === 'ERR_WX_CODE_INVALID' || error.code === 'ERR_WX_CODE_USED')
      ) {
        throw new HutongError('ERR_PHONE_CODE_INVALID', undefined, { cause: error });
      }
      throw error;
    }
    if (phone.watermark.appid !== app.appid) throw new HutongError('ERR_USER_DATA_WATERMARK');
    const updated = await this.store.upsertUser(
      { appid: user.appid, openid: user.openid, phoneNumber: phone.phoneNumber },
      this.now(),
    );
    return { user: updated, phone };
  }

  /** Stores the profile a user filled in (chooseAvatar + nickname input). */
  async updateProfile(skey: string, profile: WxProfile): Promise<UserRecord> {
    const { user } = await this.check(skey);
    return this.store.upsertUser({ appid: user.appid, openid: user.openid, profile }, this.now());
  }
}
