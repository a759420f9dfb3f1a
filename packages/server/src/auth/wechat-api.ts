import type { AppCredentials, WeChatApi, WxSession } from '@hutong/core';
import {
  AccessTokenOk,
  Code2SessionOk,
  decode,
  type ErrorCode,
  HutongError,
  type PhoneInfo,
  PhoneNumberOk,
  WxError,
  wxErrcodes,
} from '@hutong/protocol/schemas';
import { Value } from '@sinclair/typebox/value';

export interface HttpWeChatApiOptions {
  /**
   * `https://api.weixin.qq.com` in production; the simulator's base URL in development. A function
   * is read on every call (a dev server that learns its own port only once listening).
   */
  baseUrl?: string | (() => string);
  /** Per call, milliseconds. */
  timeoutMs?: number;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  now?: () => number;
}

const errcodeToCode = new Map<number, ErrorCode>([
  [wxErrcodes.invalidCode, 'ERR_WX_CODE_INVALID'],
  [wxErrcodes.codeBlocked, 'ERR_WX_CODE_INVALID'],
  [wxErrcodes.missingCode, 'ERR_WX_CODE_INVALID'],
  [wxErrcodes.codeUsed, 'ERR_WX_CODE_USED'],
  [wxErrcodes.rateLimited, 'ERR_WX_RATE_LIMITED'],
  [wxErrcodes.busy, 'ERR_WX_UNAVAILABLE'],
  [wxErrcodes.invalidAppid, 'ERR_WX_CREDENTIALS'],
  [wxErrcodes.invalidSecret, 'ERR_WX_CREDENTIALS'],
  [wxErrcodes.missingAppid, 'ERR_WX_CREDENTIALS'],
  [wxErrcodes.missingSecret, 'ERR_WX_CREDENTIALS'],
]);

export function wxErrorToHutong(body: WxError, what: string): HutongError {
  const code = errcodeToCode.get(body.errcode) ?? 'ERR_WX_API';
  return new HutongError(code, `WeChat ${what} failed: ${body.errcode} ${body.errmsg ?? ''}`.trim(), {
    details: { errcode: body.errcode },
  });
}

/** Access tokens are shared per app, refreshed 5 minutes before expiry, one fetch at a time. */
interface CachedToken {
  token: string;
  refreshAt: number;
}

const TOKEN_EARLY_REFRESH_MS = 300_000;
const TOKEN_ERRCODES = new Set<number>([wxErrcodes.invalidCredential, wxErrcodes.accessTokenExpired]);

/** The real WeChat HTTPS API (or anything that speaks it, such as the simulator). */
export class HttpWeChatApi implements WeChatApi {
  private readonly base: string | (() => string);
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(options: HttpWeChatApiOptions = {}) {
    this.base = options.baseUrl ?? 'https://api.weixin.qq.com';
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  get baseUrl(): string {
    return (typeof this.base === 'function' ? this.base() : this.base).replace(/\/+$/, '');
  }

  async code2Session(app: AppCredentials, code: string): Promise<WxSession> {
    const query = new URLSearchParams({
      appid: app.appid,
      secret: app.secret,
      js_code: code,
      grant_type: 'authorization_code',
    });
    const body = await this.call(`/sns/jscode2session?${query}`, { method: 'GET' }, 'jscode2session');
    const reply = decode(Code2SessionOk, body, 'ERR_WX_BAD_RESPONSE');
    if (!reply.ok) throw reply.error;
    const { openid, session_key: sessionKey, unionid } = reply.value;
    return unionid ? { openid, sessionKey, unionid } : { openid, sessionKey };
  }

  async getPhoneNumber(app: AppCredentials, code: string, openid?: string): Promise<PhoneInfo> {
    const payload = JSON.stringify(openid ? { code, openid } : { code });
    const body = await this.withToken(app, (token) =>
      this.call(
        `/wxa/business/getuserphonenumber?access_token=${encodeURIComponent(token)}`,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload },
        'getuserphonenumber',
      ),
    );
    const reply = decode(PhoneNumberOk, body, 'ERR_WX_BAD_RESPONSE');
    if (!reply.ok) throw reply.error;
    return reply.value.phone_info;
  }

  /** The cached access token of an app (fetched through `stable_token` when missing or due). */
  async accessToken(app: AppCredentials): Promise<string> {
    const cached = this.tokens.get(app.appid);
    if (cached && cached.refreshAt > this.now()) return cached.token;
    let pending = this.inflight.get(app.appid);
    if (!pending) {
      pending = this.fetchToken(app).finally(() => this.inflight.delete(app.appid));
      this.inflight.set(app.appid, pending);
    }
    return pending;
  }

  private async fetchToken(app: AppCredentials): Promise<string> {
    const body = await this.call(
      '/cgi-bin/stable_token',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credential', appid: app.appid, secret: app.secret }),
      },
      'stable_token',
    ).catch((error: unknown) => {
      // On the token endpoint 40001 means a wrong secret, not a stale token.
      if (error instanceof HutongError && error.details?.['errcode'] === wxErrcodes.invalidCredential) {
        throw new HutongError('ERR_WX_CREDENTIALS', error.message, { details: error.details });
      }
      throw error;
    });
    const reply = decode(AccessTokenOk, body, 'ERR_WX_BAD_RESPONSE');
    if (!reply.ok) throw reply.error;
    const lifetime = Math.max(reply.value.expires_in * 1000 - TOKEN_EARLY_REFRESH_MS, 30_000);
    this.tokens.set(app.appid, { token: reply.value.access_token, refreshAt: this.now() + lifetime });
    return reply.value.access_token;
  }

  /** Runs `call` with the app's token; on 40001/42001 drops the token and tries once more. */
  private async withToken(app: AppCredentials, call: (token: string) => Promise<unknown>): Promise<unknown> {
    try {
      return await call(await this.accessToken(app));
    } catch (error) {
      const stale =
        error instanceof HutongError &&
        error.code === 'ERR_WX_API' &&
        TOKEN_ERRCODES.has(error.details?.['errcode'] as number);
      if (!stale) throw error;
      this.tokens.delete(app.appid);
      return call(await this.accessToken(app));
    }
  }

  private async call(path: string, init: RequestInit, what: string): Promise<unknown> {
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(`${this.baseUrl}${path}`, {
        ...init,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (cause) {
      // The URL carries the secret: keep it out of the message, keep only the error's name.
      const reason = cause instanceof Error ? cause.name : 'error';
      throw new HutongError('ERR_WX_UNAVAILABLE', `WeChat ${what} unreachable (${reason})`);
    }
    if (!response.ok) {
      throw new HutongError('ERR_WX_BAD_RESPONSE', `WeChat ${what} answered HTTP ${response.status}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new HutongError('ERR_WX_BAD_RESPONSE', `WeChat ${what} answered with something other than JSON`);
    }
    if (Value.Check(WxError, body) && body.errcode !== 0) throw wxErrorToHutong(body, what);
    return body;
  }
}
