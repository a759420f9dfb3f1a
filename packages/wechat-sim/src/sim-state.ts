import {
  type Code2SessionOk,
  err,
  ok,
  type PhoneInfo,
  type Result,
  type WxProfile,
} from '@hutong/protocol/schemas';
import { randomKey16, safeEqual, sessionKeySignature } from '@hutong/protocol/wechat-crypto';
import { CodeBook, type CodeEntry } from './codes.js';
import { simErrcodes as E } from './errmsg.js';
import { Faults } from './faults.js';
import { newLoginCode, newOpenid, newPhoneCode, newPhoneNumber } from './ids.js';
import { MinuteQuota } from './rate-limit.js';
import { DEFAULT_APP, type SimAppConfig, type SimUser, type WeChatSimOptions } from './sim-config.js';
import { type AccessTokenReply, TokenStore } from './token-store.js';
import { anonymousProfile, buildUserData, type SimUserData, simProfile } from './user-data.js';

/** A login code names the session_key it will yield, fixed when `wx.login` ran. */
interface LoginCode extends CodeEntry {
  sessionKey: string;
}

interface AppState {
  config: SimAppConfig;
  users: Map<string, SimUser>;
}

type SessionKeyQuery = { access_token: string; openid: string; signature: string; sig_method: string };

/**
 * The WeChat platform's state: apps, users, codes, session keys and tokens. No I/O; every
 * platform call answers a value or WeChat's errcode, checked in WeChat's order.
 */
export class WeChatSim {
  readonly now: () => number;
  /** Errcodes queued for the next platform calls (the routes consult it). */
  readonly faults = new Faults();
  readonly #rotate: boolean;
  readonly #anonymous: boolean;
  readonly #apps = new Map<string, AppState>();
  /** Login codes are remembered a day so `/sim/userinfo` still finds the key of a used code. */
  readonly #codes: CodeBook<LoginCode>;
  readonly #phoneCodes: CodeBook<CodeEntry>;
  readonly #quota: MinuteQuota;
  readonly #tokens: TokenStore;
  #userCount = 0;

  constructor(options: WeChatSimOptions = {}) {
    this.now = options.now ?? Date.now;
    this.#rotate = (options.rotateSessionKey ?? 'always') === 'always';
    this.#anonymous = options.anonymousProfiles ?? false;
    this.#codes = new CodeBook(this.now, newLoginCode, 86_400_000);
    this.#phoneCodes = new CodeBook(this.now, newPhoneCode);
    this.#quota = new MinuteQuota(options.code2SessionPerMinute ?? 100, this.now);
    this.#tokens = new TokenStore(this.now);
    for (const app of options.apps ?? [DEFAULT_APP]) this.addApp(app);
    if (this.#apps.size === 0) throw new RangeError('at least one app is required');
  }

  get apps(): SimAppConfig[] {
    return [...this.#apps.values()].map(({ config }) => ({ ...config }));
  }

  /** Registers an app, or changes its secret (as resetting it on the MP console does); users stay. */
  addApp(config: SimAppConfig): void {
    if (!config.appid || !config.secret) throw new RangeError('appid and secret are required');
    const existing = this.#apps.get(config.appid);
    if (existing) existing.config = { ...config };
    else this.#apps.set(config.appid, { config: { ...config }, users: new Map() });
  }

  user(appid: string, openid: string): Readonly<SimUser> | undefined {
    return this.#apps.get(appid)?.users.get(openid);
  }

  // ---- device side (what the phone does) -------------------------------------------------

  /** `wx.login`: a fresh code for the user (created when new), rotating its session_key. */
  login(input: {
    appid?: string;
    openid?: string;
    unionid?: string;
  }): Result<{ code: string; openid: string; appid: string }, number> {
    const app = this.#app(input.appid);
    if (!app) return err(E.invalidAppid);
    const user = this.#userOrCreate(app, input.openid, input.unionid);
    if (this.#rotate) user.sessionKey = randomKey16();
    const code = this.#codes.issue({ appid: user.appid, openid: user.openid, sessionKey: user.sessionKey });
    return ok({ code, openid: user.openid, appid: user.appid });
  }

  /** `wx.getUserInfo` / `wx.getUserProfile` data, made with the key `code` yields. */
  userData(input: {
    code: string;
    appid?: string;
    userInfo?: WxProfile;
    withIds: boolean;
  }): Result<SimUserData, number> {
    const entry = this.#codes.peek(input.code);
    const user = entry && this.#apps.get(entry.appid)?.users.get(entry.openid);
    if (!entry || !user || (input.appid !== undefined && input.appid !== entry.appid))
      return err(E.invalidCode);
    if (input.userInfo) {
      // Ids and watermark are WeChat's to add, never the caller's.
      const {
        openId: _o,
        unionId: _u,
        watermark: _w,
        ...profile
      } = input.userInfo as Record<string, unknown>;
      user.profile = profile as WxProfile;
    }
    const { appid, openid, unionid, profile } = user;
    const timestamp = Math.floor(this.now() / 1000);
    const withIds = input.withIds;
    return ok(
      buildUserData({ profile, appid, openid, unionid, sessionKey: entry.sessionKey, timestamp, withIds }),
    );
  }

  /** `wx.checkSession`: whether the key `code` yields is still the user's current one. */
  sessionAlive(code: string, appid?: string): Result<boolean, number> {
    const entry = this.#codes.peek(code);
    if (!entry || (appid !== undefined && appid !== entry.appid)) return err(E.invalidCode);
    return ok(this.user(entry.appid, entry.openid)?.sessionKey === entry.sessionKey);
  }

  /** The code a `getPhoneNumber` button hands the mini program. */
  phoneCode(input: {
    appid?: string;
    openid?: string;
    phoneNumber?: string;
  }): Result<{ code: string; openid: string }, number> {
    const app = this.#app(input.appid);
    if (!app) return err(E.invalidAppid);
    const user = this.#userOrCreate(app, input.openid, undefined);
    if (input.phoneNumber) user.phoneNumber = input.phoneNumber;
    return ok({
      code: this.#phoneCodes.issue({ appid: user.appid, openid: user.openid }),
      openid: user.openid,
    });
  }

  // ---- platform side (api.weixin.qq.com); absent parameters arrive as '' -----------------

  code2Session(q: {
    appid: string;
    secret: string;
    js_code: string;
    grant_type: string;
  }): Result<Code2SessionOk, number> {
    const bad = this.#credentials(q.appid, q.secret);
    if (bad) return bad;
    if (q.js_code === '') return err(E.missingCode);
    if (q.grant_type !== '' && q.grant_type !== 'authorization_code') return err(E.invalidGrantType);
    const found = this.#codes.status(q.js_code);
    if (!found.entry || found.entry.appid !== q.appid) return err(E.invalidCode);
    if (!this.#quota.take(`${found.entry.appid}\n${found.entry.openid}`)) return err(E.rateLimited);
    if (found.status === 'used') return err(E.codeUsed);
    if (found.status !== 'ok') return err(E.invalidCode);
    this.#codes.use(found.entry);
    const { sessionKey, openid, appid } = found.entry;
    const unionid = this.user(appid, openid)?.unionid;
    return ok({ session_key: sessionKey, openid, ...(unionid ? { unionid } : {}) });
  }

  accessToken(q: { grant_type: string; appid: string; secret: string }): Result<AccessTokenReply, number> {
    const bad = this.#credentials(q.appid, q.secret) ?? this.#grant(q.grant_type);
    return bad ?? ok(this.#tokens.issueBasic(q.appid));
  }

  stableToken(q: {
    grant_type: string;
    appid: string;
    secret: string;
    force_refresh: boolean;
  }): Result<AccessTokenReply, number> {
    const bad = this.#credentials(q.appid, q.secret) ?? this.#grant(q.grant_type);
    return bad ?? ok(this.#tokens.issueStable(q.appid, q.force_refresh));
  }

  /** `getuserphonenumber`: the code must be live, unused, of the token's app (and of `openid` if given). */
  phoneNumber(accessToken: string, body: { code: string; openid?: string }): Result<PhoneInfo, number> {
    const appid = this.#tokens.check(accessToken);
    if (!appid.ok) return appid;
    const found = this.#phoneCodes.status(body.code);
    if (found.status !== 'ok' || found.entry.appid !== appid.value) return err(E.invalidCode);
    if (body.openid !== undefined && body.openid !== found.entry.openid) return err(E.invalidCode);
    this.#phoneCodes.use(found.entry);
    const phone = this.user(appid.value, found.entry.openid)?.phoneNumber ?? '';
    const watermark = { timestamp: Math.floor(this.now() / 1000), appid: appid.value };
    return ok({ phoneNumber: phone, purePhoneNumber: phone, countryCode: '86', watermark });
  }

  /** `checksession`: signature = hmac_sha256(session_key, '') of the user's current key, else 87009. */
  checkSessionKey(q: SessionKeyQuery): Result<SimUser, number> {
    const appid = this.#tokens.check(q.access_token);
    if (!appid.ok) return appid;
    const user = this.#apps.get(appid.value)?.users.get(q.openid);
    if (!user) return err(E.invalidOpenid);
    if (q.sig_method !== 'hmac_sha256' || !safeEqual(sessionKeySignature(user.sessionKey), q.signature)) {
      return err(E.invalidSignature);
    }
    return ok(user);
  }

  /** `resetusersessionkey`: the checks of checksession, then the user gets a new key. */
  resetSessionKey(q: SessionKeyQuery): Result<{ openid: string; session_key: string }, number> {
    const checked = this.checkSessionKey(q);
    if (!checked.ok) return checked;
    checked.value.sessionKey = randomKey16();
    return ok({ openid: checked.value.openid, session_key: checked.value.sessionKey });
  }

  #app(appid: string | undefined): AppState | undefined {
    return appid === undefined ? this.#apps.values().next().value : this.#apps.get(appid);
  }

  /** Device calls may name an openid the simulator has not seen (e.g. after a restart): it is adopted. */
  #userOrCreate(app: AppState, openid: string | undefined, unionid: string | undefined): SimUser {
    const existing = openid === undefined ? undefined : app.users.get(openid);
    if (existing) return existing;
    this.#userCount += 1;
    const user: SimUser = {
      appid: app.config.appid,
      openid: openid ?? newOpenid(),
      unionid: app.config.unionid ? (unionid ?? newOpenid()) : undefined,
      sessionKey: randomKey16(),
      profile: this.#anonymous ? { ...anonymousProfile } : simProfile(this.#userCount),
      phoneNumber: newPhoneNumber(),
    };
    app.users.set(user.openid, user);
    return user;
  }

  #credentials(appid: string, secret: string): Result<never, number> | undefined {
    if (appid === '') return err(E.missingAppid);
    if (secret === '') return err(E.missingSecret);
    const app = this.#apps.get(appid);
    if (!app) return err(E.invalidAppid);
    return safeEqual(app.config.secret, secret) ? undefined : err(E.invalidSecret);
  }

  #grant(grantType: string): Result<never, number> | undefined {
    return grantType === 'client_credential' ? undefined : err(E.invalidGrantType);
  }
}
