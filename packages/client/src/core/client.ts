import { weappSessionErrorOf } from '@hutong/protocol/headers';
import { type Callbacks, settle } from './callbacks.js';
import { clientErrorTypes, LoginError, RequestError } from './errors.js';
import type { Platform, PlatformResponse } from './platform.js';
import { Session, type StoredSession, sessionFromLogin, sessionHeaders, sessionVerdict } from './session.js';
import { weappSessionError } from './weapp-session-errors.js';

/** One attempt of a request with the given session headers; rejects only when no response came. */
export type SendWith = (header: Record<string, string>) => Promise<PlatformResponse>;

/**
 * A session scheme other than Wafer's, where requests carry and renew the session themselves:
 * `weappSessionDialect` (`./weapp-session.ts`, the 一笔到底 tutorial's: the login code is the session and
 * any route logs in). Without one, a client speaks Wafer's: a login route hands out a session key
 * (Wafer 1, Wafer 2, Hutong's API, told apart by their answers).
 */
export interface SessionDialect {
  readonly name: string;
  /** The dialect's requests for one client on `platform`. */
  attach(platform: Platform): DialectRequests;
}

export interface DialectRequests {
  /** A request through `send` (the client's, with the given session headers), sessions renewed as needed. */
  request(send: SendWith): Promise<PlatformResponse>;
  /** Forgets the session. */
  clear(): void;
}

export interface ClientOptions {
  platform: Platform;
  /** Where `login` goes (Wafer: `setLoginUrl`). */
  loginUrl?: string;
  /** HTTP method of the login request. Default GET, as the Wafer clients. */
  loginMethod?: string;
  /** Per request, when the caller gives none. Default 60 s (WeChat's own limit). */
  requestTimeoutMs?: number;
  /** A session scheme other than Wafer's (`weappSessionDialect`). Default: Wafer's. */
  dialect?: SessionDialect;
}

export interface LoginOptions extends Callbacks<Record<string, unknown> | null> {
  loginUrl?: string;
  method?: string;
  /**
   * Send legacy `getUserInfo` data (`X-WX-Encrypted-Data`, `X-WX-IV`) with the code, as Wafer's
   * `login` did. Default false: the code alone (WeChat's current login).
   */
  withUserInfo?: boolean;
  /** Log in even when a stored session passes `checkSession`. Default false. */
  force?: boolean;
}

export type CodeLoginOptions = Omit<LoginOptions, 'withUserInfo' | 'force'>;
export type WithoutCallbacks<T> = Omit<T, keyof Callbacks<unknown>>;

export interface RequestOptions extends Callbacks<PlatformResponse> {
  url: string;
  method?: string;
  data?: unknown;
  header?: Record<string, string>;
  /** Log in first when there is no session. */
  login?: boolean;
  timeout?: number;
}

/**
 * Session and request against a business server in any dialect — Wafer 1, Wafer 2, or Hutong's
 * API — told apart by the shape of the answers. One client holds one user's session; several
 * clients (several platforms) can live side by side.
 */
export class HutongClient {
  readonly platform: Platform;
  readonly session: Session;
  /** `'wafer'`, or the name of the dialect given. */
  readonly dialect: string;
  #loginUrl: string | undefined;
  #loginMethod: string;
  #timeoutMs: number;
  /** The login in flight: concurrent callers share it (one `wx.login`, one server round trip). */
  #loggingIn: Promise<Record<string, unknown> | null> | undefined;
  #withUserInfo = false;
  /** Set with a dialect other than Wafer's: its requests carry the session themselves. */
  readonly #weapp: DialectRequests | undefined;

  constructor(options: ClientOptions) {
    this.platform = options.platform;
    this.session = new Session(options.platform.storage);
    this.dialect = options.dialect?.name ?? 'wafer';
    this.#weapp = options.dialect?.attach(options.platform);
    this.#loginUrl = options.loginUrl;
    this.#loginMethod = options.loginMethod ?? 'GET';
    this.#timeoutMs = options.requestTimeoutMs ?? 60_000;
  }

  setLoginUrl(url: string): void {
    this.#loginUrl = url;
  }

  clearSession(): void {
    this.session.clear();
    this.#weapp?.clear();
  }

  /**
   * Logs in and resolves with the user's info (null when the server keeps none). A stored session
   * that WeChat still holds (`checkSession`) is reused unless `force` is set.
   */
  login(options?: WithoutCallbacks<LoginOptions>): Promise<Record<string, unknown> | null>;
  login(options: LoginOptions): Promise<Record<string, unknown> | null> | undefined;
  login(options: LoginOptions = {}): Promise<Record<string, unknown> | null> | undefined {
    return settle(this.#login(options), options);
  }

  /** Code-only login, as Wafer 2's `loginWithCode`: always asks the server. */
  loginWithCode(options?: WithoutCallbacks<CodeLoginOptions>): Promise<Record<string, unknown> | null>;
  loginWithCode(options: CodeLoginOptions): Promise<Record<string, unknown> | null> | undefined;
  loginWithCode(options: CodeLoginOptions = {}): Promise<Record<string, unknown> | null> | undefined {
    return settle(this.#login({ ...options, withUserInfo: false, force: true }), options);
  }

  /**
   * A request carrying the session. When the server says the session is invalid (HTTP 401,
   * `code: -1`, Wafer 1's ERR_INVALID_SESSION, `needLogin: true`, weapp-session's
   * ERR_SESSION_EXPIRED) the client logs in again once and retries; a second refusal fails with
   * RequestError ERR_SESSION_INVALID. weapp-session's ERR_UNTRUSTED_RAW_DATA fails at once. In the
   * weapp-session dialect the request itself logs in (see WeappSessionRequests).
   */
  request(options: WithoutCallbacks<RequestOptions>): Promise<PlatformResponse>;
  request(options: RequestOptions): Promise<PlatformResponse> | undefined;
  request(options: RequestOptions): Promise<PlatformResponse> | undefined {
    if (options === null || typeof options !== 'object' || typeof options.url !== 'string') {
      const error = new RequestError(clientErrorTypes.invalidParams, '请求传参应为 object 类型，且包含 url');
      if (options && typeof options === 'object') return settle(Promise.reject(error), options);
      throw error;
    }
    return settle(this.#request(options), options);
  }

  async #request(options: RequestOptions): Promise<PlatformResponse> {
    if (this.#weapp) return this.#weapp.request((header) => this.#send(options, header));
    if (options.login && !this.session.get()) await this.#relogin();
    let response = await this.#send(options);
    let verdict = sessionVerdict(response);
    if (verdict === 'invalid') {
      this.session.clear();
      await this.#relogin();
      response = await this.#send(options);
      verdict = sessionVerdict(response);
      if (verdict === 'invalid') {
        this.session.clear();
        throw new RequestError(clientErrorTypes.sessionInvalid, '登录态已过期', response);
      }
    }
    if (verdict === 'refused') throw weappSessionError(weappSessionErrorOf(response.data)!, response);
    if (verdict === 'check-failed') {
      this.session.clear();
      const data = response.data as Record<string, unknown>;
      throw new RequestError(
        clientErrorTypes.checkLoginFailed,
        `鉴权服务器检查登录态发生错误(${String(data['error'] ?? 'OTHER')})：${String(data['message'] ?? '未知错误')}`,
        response,
      );
    }
    return response;
  }

  /** One attempt, with the session's headers (by default the stored Wafer session's). */
  async #send(
    options: RequestOptions,
    session: Record<string, string> = sessionHeaders(this.session.get()),
  ): Promise<PlatformResponse> {
    try {
      return await this.platform.request({
        url: options.url,
        method: (options.method ?? 'GET').toUpperCase(),
        header: { ...options.header, ...session },
        ...(options.data === undefined ? {} : { data: options.data }),
        timeoutMs: options.timeout ?? this.#timeoutMs,
      });
    } catch (cause) {
      throw new RequestError(clientErrorTypes.network, '请求失败，可能是网络错误或者服务器没有响应', cause);
    }
  }

  /** Logs in again the way the last explicit login did. */
  #relogin(): Promise<Record<string, unknown> | null> {
    return this.#login({ withUserInfo: this.#withUserInfo, force: true });
  }

  #login(options: LoginOptions): Promise<Record<string, unknown> | null> {
    this.#loggingIn ??= this.#doLogin(options).finally(() => {
      this.#loggingIn = undefined;
    });
    return this.#loggingIn;
  }

  async #doLogin(options: LoginOptions): Promise<Record<string, unknown> | null> {
    if (this.#weapp) {
      throw new LoginError(
        clientErrorTypes.invalidParams,
        `登录错误：${this.dialect} 方式没有登录地址，第一个 request 即登录`,
      );
    }
    const url = options.loginUrl ?? this.#loginUrl;
    if (!url) {
      throw new LoginError(
        clientErrorTypes.invalidParams,
        '登录错误：缺少登录地址，请通过 setLoginUrl() 方法设置登录地址',
      );
    }
    const withUserInfo = options.withUserInfo ?? false;
    this.#withUserInfo = withUserInfo;
    const stored = this.session.get();
    if (stored && !options.force && this.platform.checkSession) {
      if (await this.platform.checkSession().catch(() => false)) return stored.userInfo;
      this.session.clear();
    }

    let code: string;
    try {
      code = await this.platform.login();
    } catch (cause) {
      throw new LoginError(clientErrorTypes.wxLoginFailed, '微信登录失败，请检查网络状态', cause);
    }
    const header: Record<string, string> = { 'X-WX-Code': code };
    const body: Record<string, string> = { code };
    let localUserInfo: Record<string, unknown> | null = null;
    if (withUserInfo) {
      if (!this.platform.getUserInfo) {
        throw new LoginError(
          clientErrorTypes.wxGetUserInfo,
          '获取微信用户信息失败：此平台不支持 getUserInfo',
        );
      }
      try {
        const data = await this.platform.getUserInfo();
        header['X-WX-Encrypted-Data'] = data.encryptedData;
        header['X-WX-IV'] = data.iv;
        Object.assign(body, { encryptedData: data.encryptedData, iv: data.iv });
        localUserInfo = data.userInfo;
      } catch (cause) {
        throw new LoginError(clientErrorTypes.wxGetUserInfo, '获取微信用户信息失败，请检查网络状态', cause);
      }
    }
    const method = (options.method ?? this.#loginMethod).toUpperCase();
    let response: PlatformResponse;
    try {
      response = await this.platform.request({
        url,
        method,
        header,
        // Hutong's own API reads the body; the Wafer dialects read the headers.
        ...(method === 'GET' ? {} : { data: body }),
        timeoutMs: this.#timeoutMs,
      });
    } catch (cause) {
      throw new LoginError(clientErrorTypes.loginFailed, '登录失败，可能是网络错误或者服务器发生异常', cause);
    }
    const session: StoredSession = sessionFromLogin(response, localUserInfo);
    this.session.set(session);
    return session.userInfo;
  }
}
