import { weappSessionErrorOf, wxHeaders } from '@hutong/protocol/headers';
import type { DialectRequests, SendWith, SessionDialect } from './client.js';
import { clientErrorTypes, LoginError } from './errors.js';
import type { Platform, PlatformResponse } from './platform.js';
import { weappSessionError, weappSessionVerdict } from './weapp-session-errors.js';

/** Where the code that identifies the session is kept (the Wafer session has its own key). */
export const WEAPP_SESSION_CODE_KEY = 'hutong_weapp_session_code';

/**
 * The weapp-session scheme (the 一笔到底 tutorial's weapp-session-client), on any host:
 *
 * - the first request carries a fresh `wx.login` code with `getUserInfo`'s `rawData`
 *   (URI-encoded) and `signature`; the server logs in and keeps the session under that code;
 * - later requests carry the code alone (kept in storage, so a restarted app keeps its session);
 * - an error body with `ERR_SESSION_EXPIRED` or `ERR_SESSION_KEY_EXCHANGE_FAILED` drops the code,
 *   logs in again and retries once; `ERR_UNTRUSTED_RAW_DATA` fails with that type.
 *
 * While a login request is in flight, other requests wait for its answer and then send the code it
 * established, so one code is exchanged once (WeChat refuses a second exchange of a code).
 */
export class WeappSessionRequests implements DialectRequests {
  #loggingIn: Promise<unknown> | undefined;

  constructor(private readonly platform: Platform) {}

  /** The code of the current session, if any. */
  code(): string | undefined {
    let value: unknown;
    try {
      value = this.platform.storage.get(WEAPP_SESSION_CODE_KEY);
    } catch {
      return undefined;
    }
    return typeof value === 'string' && value ? value : undefined;
  }

  clear(): void {
    this.platform.storage.remove(WEAPP_SESSION_CODE_KEY);
  }

  async request(send: SendWith): Promise<PlatformResponse> {
    for (let attempt = 1; ; attempt += 1) {
      const { response, code } = await this.#attempt(send);
      const failure = weappSessionErrorOf(response.data);
      if (!failure) return response;
      // Only the code this answer was about: another request may have logged in meanwhile.
      if (code !== undefined && this.code() === code) this.clear();
      if (weappSessionVerdict(failure) === 'fail' || attempt === 2)
        throw weappSessionError(failure, response);
    }
  }

  /** One request: with the stored code, after the login in flight, or as the login itself. */
  async #attempt(send: SendWith): Promise<{ response: PlatformResponse; code?: string }> {
    for (;;) {
      const code = this.code();
      if (code) return { response: await send({ [wxHeaders.code]: code }), code };
      if (!this.#loggingIn) break;
      await this.#loggingIn.catch(() => undefined);
    }
    const login = this.#login(send);
    this.#loggingIn = login.finally(() => {
      this.#loggingIn = undefined;
    });
    return { response: await login };
  }

  async #login(send: SendWith): Promise<PlatformResponse> {
    const { code, rawData, signature } = await this.#credentials();
    const response = await send({
      [wxHeaders.code]: code,
      [wxHeaders.rawData]: encodeURIComponent(rawData),
      [wxHeaders.signature]: signature,
    });
    // Any answer but weapp-session's own error means the server took the login.
    if (!weappSessionErrorOf(response.data)) this.platform.storage.set(WEAPP_SESSION_CODE_KEY, code);
    return response;
  }

  async #credentials(): Promise<{ code: string; rawData: string; signature: string }> {
    let code: string;
    try {
      code = await this.platform.login();
    } catch (cause) {
      throw new LoginError(clientErrorTypes.wxLoginFailed, '微信登录失败，请检查网络状态', cause);
    }
    if (!this.platform.getUserInfo) {
      throw new LoginError(clientErrorTypes.wxGetUserInfo, '获取微信用户信息失败：此平台不支持 getUserInfo');
    }
    try {
      const data = await this.platform.getUserInfo();
      if (typeof data.rawData !== 'string' || typeof data.signature !== 'string') {
        throw new Error('getUserInfo gave no rawData and signature');
      }
      return { code, rawData: data.rawData, signature: data.signature };
    } catch (cause) {
      throw new LoginError(clientErrorTypes.wxGetUserInfo, '获取微信用户信息失败，请检查网络状态', cause);
    }
  }
}

/**
 * The weapp-session dialect, for `createClient({ platform, dialect: weappSessionDialect })` or
 * `configure(…)`: the client's `request` then speaks it (WeappSessionRequests). Imported only by
 * apps that use it, so a Wafer app's bundle does not carry it.
 */
export const weappSessionDialect: SessionDialect = {
  name: 'weapp-session',
  attach: (platform) => new WeappSessionRequests(platform),
};
