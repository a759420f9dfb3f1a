/**
 * @hutong/client — what a mini program installs instead of the Wafer client SDK: the same
 * calls (`setLoginUrl`, `login`, `loginWithCode`, `request`, `Session`, `clearSession`, `Tunnel`)
 * with promises, several tunnels, recovery and the modern login.
 *
 * In a mini program the default client uses `wx`. Elsewhere call `configure({ platform })` first
 * (`createBrowserPlatform` from `@hutong/client/browser`, `createNodePlatform` from `/node`), or
 * build independent clients with `createClient`.
 */
import {
  type BoundClient,
  type ClientOptions,
  type CodeLoginOptions,
  clientErrorTypes,
  createClient,
  type HutongClient,
  ImClient,
  type ImOptions,
  IMSDK as ImSdkCore,
  type LoginOptions,
  type RequestOptions,
  type StoredSession,
  Tunnel as TunnelCore,
  type TunnelOptions,
  weappSessionDialect,
} from './core/index.js';
import { createWxPlatform, type WxLike } from './platform/wx.js';

export * from './core/index.js';

let current: BoundClient | undefined;
let pendingLoginUrl: string | undefined;
/** The weapp-session client behind `requestWithSession` when the default client is a Wafer one. */
let weappDefault: BoundClient | undefined;

/** Sets up the default client (required outside mini programs). */
export function configure(options: ClientOptions): BoundClient {
  current = createClient({ ...(pendingLoginUrl ? { loginUrl: pendingLoginUrl } : {}), ...options });
  return current;
}

function client(): BoundClient {
  if (current) return current;
  const host = (globalThis as { wx?: WxLike }).wx;
  if (!host) {
    throw new Error(
      '@hutong/client: no wx here — call configure({ platform }) with a browser or Node platform',
    );
  }
  return configure({ platform: createWxPlatform(host) });
}

/** The client `requestWithSession` uses: the default one when it speaks weapp-session. */
function weappClient(): BoundClient {
  const base = client();
  if (base.dialect === 'weapp-session') return base;
  if (weappDefault?.platform !== base.platform) {
    weappDefault = createClient({ platform: base.platform, dialect: weappSessionDialect });
  }
  return weappDefault;
}

/**
 * weapp-session-client's default export (`require('…/session-request.js')`): `wx.request`'s
 * options and callbacks, with the 一笔到底 tutorial's session: a fresh `wx.login` code with
 * `getUserInfo`'s signed rawData on the first request, the code alone after, a new login when the
 * server says ERR_SESSION_EXPIRED. Also returns a promise when no callback is given. `headers` is
 * accepted beside `header`, as the original read it.
 */
export const requestWithSession = ((options: RequestOptions & { headers?: Record<string, string> }) => {
  if (options === null || typeof options !== 'object') return weappClient().request(options);
  const { headers, ...rest } = options;
  return weappClient().request(headers ? { ...rest, header: { ...headers, ...rest.header } } : rest);
}) as HutongClient['request'];

export const setLoginUrl = (url: string): void => {
  pendingLoginUrl = url;
  current?.setLoginUrl(url);
};
export const login = ((options?: LoginOptions) => client().login(options ?? {})) as HutongClient['login'];
export const loginWithCode = ((options?: CodeLoginOptions) =>
  client().loginWithCode(options ?? {})) as HutongClient['loginWithCode'];
export const request = ((options: RequestOptions) => client().request(options)) as HutongClient['request'];
export const clearSession = (): void => client().clearSession();
/** Wafer's `Session`: get, set and clear the stored session. */
export const Session = {
  get: (): StoredSession | null => client().session.get(),
  set: (session: StoredSession): void => client().session.set(session),
  clear: (): void => client().session.clear(),
};

/** Wafer's `Tunnel`, on the default client: `new Tunnel(url)`. */
export class Tunnel extends TunnelCore {
  constructor(serviceUrl: string, options?: TunnelOptions) {
    super(client(), serviceUrl, options);
  }
}

/** IM on the default client: `new Im({ url })` (see ImClient). */
export class Im extends ImClient {
  constructor(options: ImOptions) {
    super(client(), options);
  }
}

/** MobileIMSDK's `IMSDK` on the default client: `const IMSDK = new hutong.IMSDK()`. */
export class IMSDK extends ImSdkCore {
  constructor(options?: Omit<ImOptions, 'url'>) {
    super(client(), options);
  }
}

/** The Wafer error type constants (`ERR_WX_LOGIN_FAILED`, …), as the Wafer SDK exported them. */
export const ERR_INVALID_PARAMS = clientErrorTypes.invalidParams;
export const ERR_WX_LOGIN_FAILED = clientErrorTypes.wxLoginFailed;
export const ERR_WX_GET_USER_INFO = clientErrorTypes.wxGetUserInfo;
export const ERR_LOGIN_FAILED = clientErrorTypes.loginFailed;
export const ERR_LOGIN_SESSION_NOT_RECEIVED = clientErrorTypes.loginMissingSession;
export const ERR_SESSION_INVALID = clientErrorTypes.sessionInvalid;
export const ERR_CHECK_LOGIN_FAILED = clientErrorTypes.checkLoginFailed;
