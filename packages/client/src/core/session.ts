import { WAFER_MAGIC, WAFER_SESSION_STORAGE_KEY, weappSessionErrorOf } from '@hutong/protocol/headers';
import { clientErrorTypes, LoginError } from './errors.js';
import type { PlatformResponse, PlatformStorage } from './platform.js';
import { weappSessionVerdict } from './weapp-session-errors.js';

/** The session the client keeps: what every dialect's login answer boils down to. */
export interface StoredSession {
  skey: string;
  /** Wafer 1 servers identify a session by `id` + `skey`. */
  id?: string;
  userInfo: Record<string, unknown> | null;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The Wafer-compatible `Session` object, kept under the key the Wafer clients use, so an app that
 * swaps SDKs keeps its users logged in. Reads both older shapes (`userinfo`, `userInfo`).
 */
export class Session {
  constructor(
    private readonly storage: PlatformStorage,
    readonly key = WAFER_SESSION_STORAGE_KEY,
  ) {}

  get(): StoredSession | null {
    let value: unknown;
    try {
      value = this.storage.get(this.key);
    } catch {
      return null;
    }
    if (!isObject(value) || typeof value['skey'] !== 'string' || !value['skey']) return null;
    const userInfo = value['userInfo'] ?? value['userinfo'];
    return {
      skey: value['skey'],
      ...(typeof value['id'] === 'string' ? { id: value['id'] } : {}),
      userInfo: isObject(userInfo) ? userInfo : null,
    };
  }

  set(session: StoredSession): void {
    this.storage.set(this.key, session);
  }

  clear(): void {
    this.storage.remove(this.key);
  }
}

/** Session headers for a request: Wafer 1 sessions send their id too. */
export function sessionHeaders(session: StoredSession | null): Record<string, string> {
  if (!session) return {};
  return session.id ? { 'X-WX-Id': session.id, 'X-WX-Skey': session.skey } : { 'X-WX-Skey': session.skey };
}

const describe = (data: unknown): string => {
  const text = typeof data === 'string' ? data : JSON.stringify(data ?? null);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
};

/**
 * A login answer in any dialect: Wafer 1 (`{MAGIC: 1, session: {id, skey}}`), Wafer 2
 * (`{code: 0, data: {skey, userinfo}}`) or Hutong's API (`{skey, userInfo}`). `localUserInfo` is
 * what `getUserInfo` returned, which Wafer 1 servers do not echo.
 */
export function sessionFromLogin(
  response: PlatformResponse,
  localUserInfo: Record<string, unknown> | null,
): StoredSession {
  const { data } = response;
  if (isObject(data) && data[WAFER_MAGIC]) {
    const session = data['session'];
    if (isObject(session) && typeof session['skey'] === 'string' && typeof session['id'] === 'string') {
      return { id: session['id'], skey: session['skey'], userInfo: localUserInfo };
    }
    throw new LoginError(
      clientErrorTypes.loginMissingSession,
      `登录失败(${String(data['error'] ?? 'ERR_LOGIN_FAILED')})：${String(data['message'] ?? '未知错误')}`,
      data,
    );
  }
  if (isObject(data) && data['code'] === 0 && isObject(data['data'])) {
    const body = data['data'];
    if (typeof body['skey'] === 'string' && body['skey']) {
      const userInfo = body['userinfo'] ?? body['userInfo'];
      return { skey: body['skey'], userInfo: isObject(userInfo) ? userInfo : localUserInfo };
    }
  }
  if (isObject(data) && typeof data['skey'] === 'string' && data['skey'] && response.statusCode < 300) {
    const userInfo = data['userInfo'];
    return { skey: data['skey'], userInfo: isObject(userInfo) ? userInfo : localUserInfo };
  }
  throw new LoginError(
    clientErrorTypes.loginFailed,
    `登录失败：服务器没有返回会话 (HTTP ${response.statusCode}) ${describe(data)}`,
    response,
  );
}

/**
 * Whether a business response says the session is no good: HTTP 401, `code: -1` (Wafer 2), the
 * Wafer 1 body (`ERR_INVALID_SESSION`; any other Wafer 1 error is a failed check), weapp-session's
 * body (`ERR_SESSION_EXPIRED` or `ERR_SESSION_KEY_EXCHANGE_FAILED`; any other is `refused`), or
 * `{needLogin: true}`.
 */
export function sessionVerdict(response: PlatformResponse): 'invalid' | 'check-failed' | 'refused' | 'ok' {
  const { data } = response;
  if (response.statusCode === 401) return 'invalid';
  if (!isObject(data)) return 'ok';
  const weapp = weappSessionErrorOf(data);
  if (weapp) return weappSessionVerdict(weapp) === 'relogin' ? 'invalid' : 'refused';
  if (data[WAFER_MAGIC])
    return data['error'] === clientErrorTypes.invalidSession ? 'invalid' : 'check-failed';
  if (data['code'] === -1 || data['needLogin'] === true) return 'invalid';
  return 'ok';
}
