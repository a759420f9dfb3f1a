import { type AuthPort, type LoginInput, publicUserOf, sessionSecondsLeft, wxUserInfoOf } from '@hutong/core';
import {
  fromWafer1Code,
  HutongError,
  isErrorCode,
  type PublicUser,
  type SessionView,
  type WxUserInfo,
  wafer1Interfaces,
} from '@hutong/protocol';

/** A login as every backend takes it: the in-process `AuthPort`'s input. */
export type BackendLogin = LoginInput;

export interface BackendSession {
  /** Wafer 1 session id (stable per user). */
  id: string;
  skey: string;
  userInfo: WxUserInfo;
  user?: PublicUser;
  /** Seconds the session lasts at most from now. */
  duration: number;
}

export interface BackendCheck {
  userInfo: WxUserInfo;
  user?: PublicUser;
}

/**
 * Where a business server's auth calls go: an auth service in the same process, Hutong's JSON API,
 * or any Wafer 1 auth server. All three throw `HutongError` (ERR_SESSION_INVALID for a bad session).
 */
export interface AuthBackend {
  login(input: BackendLogin): Promise<BackendSession>;
  check(skey: string, id?: string): Promise<BackendCheck>;
}

export class LocalAuthBackend implements AuthBackend {
  constructor(readonly auth: AuthPort) {}

  async login(input: BackendLogin): Promise<BackendSession> {
    const result = await this.auth.login(input);
    const { session } = result;
    return {
      id: result.user.id,
      skey: session.skey,
      userInfo: result.userInfo,
      user: publicUserOf(result.user),
      duration: sessionSecondsLeft(session, session.createdAt),
    };
  }

  async check(skey: string, id?: string): Promise<BackendCheck> {
    const { user } = await this.auth.check(skey, id);
    return { userInfo: wxUserInfoOf(user), user: publicUserOf(user) };
  }
}

async function fetchJson(
  url: string,
  body: unknown,
  timeoutMs: number,
  headers: Record<string, string> = {},
) {
  let response: Response;
  try {
    response = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    throw new HutongError('ERR_AUTH_UNAVAILABLE', `Auth service at ${new URL(url).origin} unreachable`, {
      cause,
    });
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HutongError(
      'ERR_AUTH_UNAVAILABLE',
      `Auth service answered HTTP ${response.status} without JSON`,
    );
  }
  return { status: response.status, json: json as Record<string, unknown> };
}

/** Hutong's JSON API (`/api/v1`), e.g. `http://127.0.0.1:5757`. */
export class HutongRemoteBackend implements AuthBackend {
  private readonly base: string;
  constructor(
    baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {
    this.base = `${baseUrl.replace(/\/+$/, '')}/api/v1`;
  }

  private fail(status: number, json: Record<string, unknown>): never {
    const error = json['error'] as { code?: unknown; message?: unknown } | undefined;
    const code = isErrorCode(error?.code) ? error.code : 'ERR_AUTH_UNAVAILABLE';
    throw new HutongError(code, typeof error?.message === 'string' ? error.message : `HTTP ${status}`);
  }

  async login(input: BackendLogin): Promise<BackendSession> {
    const data = input.userData;
    const body = {
      code: input.code,
      ...(input.appid ? { appid: input.appid } : {}),
      ...(data?.kind === 'encrypted' ? { encryptedData: data.encryptedData, iv: data.iv } : {}),
      ...(data?.kind === 'legacy' ? { encryptedData: data.encryptData } : {}),
      ...(data?.kind === 'signed' ? { rawData: data.rawData, signature: data.signature } : {}),
      ...(input.keyedByCode ? { keyedByCode: true } : {}),
      ...(input.ttlMs ? { ttl: Math.max(60, Math.round(input.ttlMs / 1000)) } : {}),
    };
    const headers: Record<string, string> = input.ip ? { 'x-forwarded-for': input.ip } : {};
    const { status, json } = await fetchJson(`${this.base}/login`, body, this.timeoutMs, headers);
    if (status !== 200) this.fail(status, json);
    const view = json as unknown as SessionView;
    return {
      id: view.user.id,
      skey: view.skey,
      userInfo: view.userInfo,
      user: view.user,
      duration: sessionSecondsLeft(view, Date.now()),
    };
  }

  async check(skey: string, id?: string): Promise<BackendCheck> {
    const { status, json } = await fetchJson(`${this.base}/session`, undefined, this.timeoutMs, {
      authorization: `Bearer ${skey}`,
    });
    if (status !== 200) this.fail(status, json);
    const view = json as unknown as SessionView;
    if (id !== undefined && view.user.id !== id) throw new HutongError('ERR_SESSION_INVALID');
    return { userInfo: view.userInfo, user: view.user };
  }
}

/** Any Wafer 1 auth server speaking docs/protocols/auth-api.md#wafer-1-auth-server-api — Hutong's `/auth` or an old one. */
export class Wafer1RemoteBackend implements AuthBackend {
  constructor(
    private readonly authServerUrl: string | (() => string),
    private readonly timeoutMs: number | (() => number) = 30_000,
  ) {}

  private async call(interfaceName: string, para: Record<string, unknown>): Promise<Record<string, unknown>> {
    const url = typeof this.authServerUrl === 'function' ? this.authServerUrl() : this.authServerUrl;
    const timeout = typeof this.timeoutMs === 'function' ? this.timeoutMs() : this.timeoutMs;
    const envelope = { version: 1, componentName: 'MA', interface: { interfaceName, para } };
    const { status, json } = await fetchJson(url, envelope, timeout);
    if (status !== 200 || typeof json['returnCode'] !== 'number') {
      throw new HutongError(
        'ERR_AUTH_UNAVAILABLE',
        `Auth server answered HTTP ${status} without a returnCode`,
      );
    }
    const code = json['returnCode'];
    if (code !== 0) {
      throw new HutongError(
        fromWafer1Code(code),
        `鉴权服务调用失败：${code} - ${String(json['returnMessage'])}`,
        {
          details: { returnCode: code },
        },
      );
    }
    return (json['returnData'] ?? {}) as Record<string, unknown>;
  }

  async login(input: BackendLogin): Promise<BackendSession> {
    if (input.keyedByCode) {
      throw new HutongError(
        'ERR_BAD_REQUEST',
        'Sessions keyed by the login code (weapp-session) need Hutong',
      );
    }
    const data = input.userData;
    const para = {
      code: input.code,
      ...(data?.kind === 'encrypted' ? { encrypt_data: data.encryptedData, iv: data.iv } : {}),
      ...(data?.kind === 'legacy' ? { encrypt_data: data.encryptData } : {}),
    };
    const result = await this.call(wafer1Interfaces.login, para);
    return {
      id: String(result['id']),
      skey: String(result['skey']),
      userInfo: (result['user_info'] ?? {}) as WxUserInfo,
      duration: Number(result['duration'] ?? 0),
    };
  }

  async check(skey: string, id?: string): Promise<BackendCheck> {
    const result = await this.call(wafer1Interfaces.check, { id: id ?? '', skey });
    return { userInfo: (result['user_info'] ?? {}) as WxUserInfo };
  }
}

/**
 * Where auth calls go: an `AuthBackend`, the server's `AuthService` in the same process (any
 * `AuthPort`), or a Hutong URL.
 */
export type AuthTarget = AuthBackend | AuthPort | { url: string; timeoutMs?: number };

/** An AuthBackend from what a caller has at hand: a backend, an in-process service, or a Hutong URL. */
export function toBackend(target: AuthTarget): AuthBackend {
  if ('login' in target && 'check' in target && !('store' in target)) return target as AuthBackend;
  if ('store' in target) return new LocalAuthBackend(target as AuthPort);
  return new HutongRemoteBackend(target.url, target.timeoutMs);
}
