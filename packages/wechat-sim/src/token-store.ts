import { err, ok, type Result } from '@hutong/protocol';
import { simErrcodes } from './errmsg.js';
import { newAccessToken } from './ids.js';

export const TOKEN_TTL_MS = 7_200_000;
/** How long a replaced token keeps working, and how early stable_token renews (research A3). */
export const TOKEN_GRACE_MS = 300_000;
/** Dead tokens are forgotten after this; a forgotten one answers 40001 instead of 42001. */
const FORGET_AFTER_MS = 86_400_000;

interface TokenEntry {
  appid: string;
  expiresAt: number;
  /** True once a newer token replaced this one: its end then reads as 40001, not 42001. */
  replaced: boolean;
}

export interface AccessTokenReply {
  access_token: string;
  expires_in: number;
}

/**
 * Access tokens of every app. `cgi-bin/token` and `cgi-bin/stable_token` keep separate tokens, as
 * WeChat does: fetching one kind never retires the other.
 * - basic: every fetch issues a new token and leaves the previous one 5 minutes to live.
 * - stable: the same token during its life; renewed once under 5 minutes remain, so any token
 *   handed out has at least 300 s left; `force_refresh` renews at once (old one: 5 minutes).
 */
export class TokenStore {
  readonly #now: () => number;
  readonly #tokens = new Map<string, TokenEntry>();
  readonly #latestBasic = new Map<string, string>();
  readonly #latestStable = new Map<string, string>();
  #serial = 0;

  constructor(now: () => number) {
    this.#now = now;
  }

  issueBasic(appid: string): AccessTokenReply {
    const previous = this.#latestBasic.get(appid);
    if (previous) this.#retire(previous);
    const token = this.#issue(appid);
    this.#latestBasic.set(appid, token);
    return { access_token: token, expires_in: TOKEN_TTL_MS / 1000 };
  }

  issueStable(appid: string, forceRefresh: boolean): AccessTokenReply {
    const now = this.#now();
    const current = this.#latestStable.get(appid);
    const entry = current === undefined ? undefined : this.#tokens.get(current);
    if (current !== undefined && entry && !forceRefresh && entry.expiresAt - now > TOKEN_GRACE_MS) {
      return { access_token: current, expires_in: Math.floor((entry.expiresAt - now) / 1000) };
    }
    if (current !== undefined && forceRefresh) this.#retire(current);
    const token = this.#issue(appid);
    this.#latestStable.set(appid, token);
    return { access_token: token, expires_in: TOKEN_TTL_MS / 1000 };
  }

  /** The app a live token belongs to, or WeChat's errcode: 41001 missing, 40001 unknown or replaced, 42001 expired. */
  check(token: string): Result<string, number> {
    if (token === '') return err(simErrcodes.accessTokenMissing);
    const entry = this.#tokens.get(token);
    if (!entry) return err(simErrcodes.invalidCredential);
    if (this.#now() >= entry.expiresAt) {
      return err(entry.replaced ? simErrcodes.invalidCredential : simErrcodes.accessTokenExpired);
    }
    return ok(entry.appid);
  }

  #issue(appid: string): string {
    const now = this.#now();
    for (const [token, entry] of this.#tokens) {
      if (entry.expiresAt + FORGET_AFTER_MS < now) this.#tokens.delete(token);
    }
    this.#serial += 1;
    const token = newAccessToken(this.#serial);
    this.#tokens.set(token, { appid, expiresAt: now + TOKEN_TTL_MS, replaced: false });
    return token;
  }

  #retire(token: string): void {
    const entry = this.#tokens.get(token);
    if (!entry) return;
    entry.replaced = true;
    entry.expiresAt = Math.min(entry.expiresAt, this.#now() + TOKEN_GRACE_MS);
  }
}
