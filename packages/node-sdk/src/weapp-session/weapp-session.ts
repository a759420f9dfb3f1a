import type { IncomingHttpHeaders } from 'node:http';
import { codeSessionKey, header } from '@hutong/core';
import {
  type HutongError,
  isHutongError,
  WAFER_MAGIC,
  type WeappSessionErrorBody,
  type WeappSessionReason,
  type WxUserInfo,
  weappSessionReasons,
  wxHeaders,
} from '@hutong/protocol';
import { type AuthTarget, toBackend } from '../backend.js';

/**
 * The weapp-session scheme (the 一笔到底 tutorial's session layer), framework-free; Express and
 * Koa glue wrap it as a drop-in for `require('weapp-session')`. On any route:
 *
 * - no `X-WX-Code`: no user (`$wxUserInfo = null`), the route decides;
 * - `X-WX-Code` + `X-WX-RawData` (URI-encoded) + `X-WX-Signature`: a login. Hutong exchanges the
 *   code, checks `sha1(rawData + session_key)` and keeps a session keyed by that code (its
 *   session store, any backend, with a TTL; the user's previous code ends). `session_key` never
 *   leaves Hutong;
 * - `X-WX-Code` alone: the session of that code.
 *
 * Failures the client acts on are answered with weapp-session's body (HTTP 200):
 * `{"F2C224D4-…": 1, reason, error: {name, message}}`.
 */

export { type WeappSessionErrorBody, type WeappSessionReason, weappSessionReasons };

export interface WeappSessionOptions<Req = unknown, Res = unknown> {
  /** Where the sessions live: a Hutong URL (`{url}`), the server's `AuthService` in process, or a backend. */
  auth: AuthTarget;
  /** The mini program's appid, when Hutong serves several (its secret stays in Hutong). */
  appId?: string;
  /** Ignored: Hutong holds the app secret (HUTONG_APP_SECRET). Accepted so the original options load. */
  appSecret?: string;
  /** Routes to skip (`(req, res) => boolean`), as the original. */
  ignore?: (req: Req, res: Res) => boolean;
  /** The original's Redis settings: only `ttl` (seconds, default 7200) still means something. */
  redisConfig?: { ttl?: number } & Record<string, unknown>;
  /**
   * Development only: accept the rawData without its signature. Hutong still exchanges the code
   * (the user is the real openid, not the original's pseudo id); the profile is not stored.
   */
  ignoreSignature?: boolean;
}

/** What a request resolves to: the user (or null), or the body to answer with. */
export type WeappSessionOutcome = { user: WxUserInfo | null } | { error: WeappSessionErrorBody };

const fail = (
  name: string,
  message: string,
  reason?: WeappSessionReason,
): { error: WeappSessionErrorBody } => ({
  error: { [WAFER_MAGIC]: 1, ...(reason ? { reason } : {}), error: { name, message } },
});

/** Which of Hutong's login failures the weapp-session client should see, and how. */
function loginFailure(error: HutongError): { error: WeappSessionErrorBody } | undefined {
  if (error.code === 'ERR_USER_DATA_SIGNATURE' || error.code === 'ERR_HEADER_MISSING') {
    return fail('Error', 'untrusted raw data', weappSessionReasons.untrusted);
  }
  if (error.code === 'ERR_USER_DATA_INVALID') return fail('Error', 'rawData is not a user info object');
  if (error.code.startsWith('ERR_WX_')) {
    return fail('Error', `code exchange failed: ${error.message}`, weappSessionReasons.exchangeFailed);
  }
  return undefined;
}

/** The resolver the framework glue calls per request. Errors it does not map are thrown (a 5xx). */
export function createWeappSession<Req, Res>(options: WeappSessionOptions<Req, Res>) {
  if (!options?.auth) {
    throw new TypeError(
      'weappSession needs `auth`: a Hutong URL ({ url }) or an AuthService in this process',
    );
  }
  const backend = toBackend(options.auth);
  const ttlMs = (options.redisConfig?.ttl ?? 7200) * 1000;
  return {
    ignore: options.ignore ?? (() => false),
    async resolve(headers: IncomingHttpHeaders): Promise<WeappSessionOutcome> {
      const code = header(headers, wxHeaders.code);
      if (!code) return { user: null };
      const encoded = header(headers, wxHeaders.rawData);
      if (!encoded) {
        try {
          return { user: (await backend.check(codeSessionKey(code))).userInfo };
        } catch (error) {
          if (isHutongError(error) && error.code === 'ERR_SESSION_INVALID') {
            return fail('Error', '`wxUserInfo` not found by `code`', weappSessionReasons.expired);
          }
          throw error;
        }
      }
      let rawData: string;
      let profile: unknown;
      try {
        rawData = decodeURIComponent(encoded);
        profile = JSON.parse(rawData);
      } catch (error) {
        return fail((error as Error).name, (error as Error).message);
      }
      const signature = header(headers, wxHeaders.signature);
      try {
        const session = await backend.login({
          code,
          ...(options.appId ? { appid: options.appId } : {}),
          ...(options.ignoreSignature ? {} : { userData: { kind: 'signed', rawData, signature } }),
          keyedByCode: true,
          ttlMs,
        });
        // Unsigned (development): the profile as sent, with the openId WeChat gave for the code.
        const unsigned = options.ignoreSignature && profile !== null && typeof profile === 'object';
        return {
          user: unsigned
            ? { ...(profile as WxUserInfo), openId: session.userInfo.openId! }
            : session.userInfo,
        };
      } catch (error) {
        const mapped = isHutongError(error) ? loginFailure(error) : undefined;
        if (mapped) return mapped;
        throw error;
      }
    },
  };
}
