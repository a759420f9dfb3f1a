import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TunnelHandler } from '@hutong/core';
import { asHutongError } from '@hutong/core';
import type { WxUserInfo } from '@hutong/protocol';
import type { AuthTarget } from './backend.js';
import { handleImWebhook, type ImWebhookHandlers } from './im/im-webhook.js';
import { type CallbackOptions, handleTunnelCallback, readBody } from './tunnel/callback.js';
import {
  type AuthorizationResult,
  createWafer2Auth,
  type GuardOptions,
  invalidSessionReply,
  LOGIN_STATE,
  type ValidationResult,
  wafer2Body,
} from './wafer2/auth.js';
import { createWeappSession, type WeappSessionOptions } from './weapp-session/weapp-session.js';

type Req = IncomingMessage & {
  $wxInfo?: AuthorizationResult | ValidationResult | undefined;
  ip?: string | undefined;
};
type Res = ServerResponse & { status?: (code: number) => Res; json?: (body: unknown) => void };
type Next = (error?: unknown) => void;

function send(res: Res, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

function fail(res: Res, error: unknown): void {
  const hutong = asHutongError(error);
  send(res, hutong.status, wafer2Body.error(hutong));
}

/**
 * Express glue over the Wafer 2 auth API. `login` is a complete login route answering
 * `{code: 0, data: {skey, userinfo}}`; `authorization` and `validation` set `req.$wxInfo`;
 * `requireSession` answers 401 `{code: -1}` when the session is invalid (`{needLogin: true}` with
 * `guard.invalidSession: 'needLogin'`).
 */
export function hutongExpress(target: AuthTarget, guard: GuardOptions = {}) {
  const auth = createWafer2Auth(target);
  return {
    auth,
    login() {
      return (req: Req, res: Res) => {
        auth.authorization(req).then(
          (result) => send(res, 200, wafer2Body.ok(result.userinfo)),
          (error) => fail(res, error),
        );
      };
    },
    authorization() {
      return (req: Req, res: Res, next: Next) => {
        auth.authorization(req).then(
          (result) => {
            req.$wxInfo = result;
            next();
          },
          (error) => fail(res, error),
        );
      };
    },
    validation() {
      return (req: Req, res: Res, next: Next) => {
        auth.validation(req).then(
          (result) => {
            req.$wxInfo = result;
            next();
          },
          (error) => fail(res, error),
        );
      };
    },
    requireSession() {
      return (req: Req, res: Res, next: Next) => {
        auth.validation(req).then(
          (result) => {
            if (result.loginState !== LOGIN_STATE.SUCCESS) {
              const reply = invalidSessionReply(guard.invalidSession);
              return send(res, reply.status, reply.body);
            }
            req.$wxInfo = result;
            next();
          },
          (error) => fail(res, error),
        );
      };
    },
  };
}

/** Express: a receiveUrl route for tunnel callbacks (`app.post('/tunnel', expressTunnelCallbacks(handler, {key}))`). */
export function expressTunnelCallbacks(handler: TunnelHandler, options: CallbackOptions) {
  return (req: Req, res: Res) => {
    readBody(req as Req & { body?: unknown }).then(
      (body) => {
        const reply = handleTunnelCallback(body, handler, options);
        send(res, reply.status, reply.body);
      },
      () => send(res, 413, { code: 9001, message: 'Bad request - body too large' }),
    );
  };
}

/** Express: the IM webhook route (`app.post('/im-hooks', expressImWebhook(handlers, {key}))`). */
export function expressImWebhook(handlers: ImWebhookHandlers, options: { key: string }) {
  return (req: Req, res: Res) => {
    readBody(req as Req & { body?: unknown })
      .then((body) => handleImWebhook(body, handlers, options))
      .then(
        (reply) => send(res, reply.status, reply.body),
        () => send(res, 400, { code: 400, message: 'bad request' }),
      );
  };
}

/**
 * Express: weapp-session's middleware, a drop-in for `require('weapp-session')(options)` backed by
 * Hutong (`options.auth`): sets `req.$wxUserInfo` (null without a code) and calls `next()`, or
 * answers weapp-session's error body. See `createWeappSession`.
 */
export function weappSession(options: WeappSessionOptions<Req, Res>) {
  const session = createWeappSession(options);
  return (req: Req & { $wxUserInfo?: WxUserInfo | null }, res: Res, next: Next) => {
    if (session.ignore(req, res)) return next();
    session.resolve(req.headers).then((outcome) => {
      if ('error' in outcome) return send(res, 200, outcome.error);
      req.$wxUserInfo = outcome.user;
      next();
    }, next);
  };
}
