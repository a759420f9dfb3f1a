import type { IncomingHttpHeaders } from 'node:http';
import { asHutongError, header, userDataFromHeaders } from '@hutong/core';
import { HutongError, type PublicUser, type WxUserInfo, wxHeaders } from '@hutong/protocol';
import { type AuthTarget, toBackend } from '../backend.js';

/** wafer-node-sdk's LOGIN_STATE. */
export const LOGIN_STATE = { SUCCESS: 1, FAILED: 0 } as const;

export interface AuthorizationResult {
  loginState: typeof LOGIN_STATE.SUCCESS;
  userinfo: { userinfo: WxUserInfo; skey: string };
  user?: PublicUser;
}

export type ValidationResult =
  | { loginState: typeof LOGIN_STATE.SUCCESS; userinfo: WxUserInfo; user?: PublicUser }
  | { loginState: typeof LOGIN_STATE.FAILED; userinfo: Record<string, never> };

export interface RequestLike {
  headers: IncomingHttpHeaders;
  socket?: { remoteAddress?: string | undefined };
  ip?: string | undefined;
}

export interface KoaContextLike {
  req: RequestLike;
  state: Record<string, unknown>;
}

/**
 * The Wafer 2 auth API (wafer-node-sdk `auth`): `authorization(req)` logs in from the X-WX-* headers
 * (code only, or code + encrypted data), `validation(req)` checks `X-WX-Skey`. An invalid or
 * expired session gives `loginState: 0`; infrastructure failures reject with a HutongError.
 */
export function createWafer2Auth(target: AuthTarget) {
  const backend = toBackend(target);

  async function authorization(req: RequestLike): Promise<AuthorizationResult> {
    const code = header(req.headers, wxHeaders.code);
    if (!code) throw new HutongError('ERR_HEADER_MISSING', `Header ${wxHeaders.code} is required`);
    const userData = userDataFromHeaders(req.headers);
    const ip = req.ip ?? req.socket?.remoteAddress;
    const session = await backend.login({ code, ...(userData ? { userData } : {}), ...(ip ? { ip } : {}) });
    return {
      loginState: LOGIN_STATE.SUCCESS,
      userinfo: { userinfo: session.userInfo, skey: session.skey },
      ...(session.user ? { user: session.user } : {}),
    };
  }

  async function validation(req: RequestLike): Promise<ValidationResult> {
    const skey = header(req.headers, wxHeaders.skey);
    if (!skey) return { loginState: LOGIN_STATE.FAILED, userinfo: {} };
    try {
      const { userInfo, user } = await backend.check(skey);
      return { loginState: LOGIN_STATE.SUCCESS, userinfo: userInfo, ...(user ? { user } : {}) };
    } catch (error) {
      if (asHutongError(error).code === 'ERR_SESSION_INVALID')
        return { loginState: LOGIN_STATE.FAILED, userinfo: {} };
      throw error;
    }
  }

  return {
    authorization,
    validation,
    /** Koa: puts the authorization result on `ctx.state.$wxInfo`. */
    async authorizationMiddleware(ctx: KoaContextLike, next: () => Promise<unknown>) {
      ctx.state['$wxInfo'] = await authorization(ctx.req);
      return next();
    },
    /** Koa: puts the validation result on `ctx.state.$wxInfo`. */
    async validationMiddleware(ctx: KoaContextLike, next: () => Promise<unknown>) {
      ctx.state['$wxInfo'] = await validation(ctx.req);
      return next();
    },
  };
}

export type Wafer2Auth = ReturnType<typeof createWafer2Auth>;

/** Wafer 2 response bodies (what wafer2-client-sdk reads). */
export const wafer2Body = {
  ok: (data: unknown) => ({ code: 0, data }),
  /** `code: -1` makes wafer2-client-sdk log in again and retry once; use it only for session errors. */
  error: (error: HutongError) => ({
    code: error.code === 'ERR_SESSION_INVALID' ? -1 : 1,
    error: error.code,
    message: error.message,
  }),
};

export const invalidSession = () => new HutongError('ERR_SESSION_INVALID');

/**
 * How a session guard answers a request without a live session: Wafer 2's 401 `{code: -1}`
 * (default), or `needLogin` — HTTP 200 `{needLogin: true}`, as the backends of the JSESSIONID
 * tutorial do. `@hutong/client` understands both: it logs in again and retries once.
 */
export type InvalidSessionAnswer = 'wafer2' | 'needLogin';

export interface GuardOptions {
  invalidSession?: InvalidSessionAnswer;
}

/** The status and body of a guard's answer to an invalid session. */
export function invalidSessionReply(answer: InvalidSessionAnswer = 'wafer2'): {
  status: number;
  body: unknown;
} {
  if (answer === 'needLogin') return { status: 200, body: { needLogin: true } };
  const error = invalidSession();
  return { status: error.status, body: wafer2Body.error(error) };
}
