import type { TunnelHandler } from '@hutong/core';
import { asHutongError } from '@hutong/core';
import type { WxUserInfo } from '@hutong/protocol';
import type { AuthTarget } from './backend.js';
import { handleImWebhook, type ImWebhookHandlers } from './im/im-webhook.js';
import { type CallbackOptions, handleTunnelCallback, readBody } from './tunnel/callback.js';
import {
  createWafer2Auth,
  type GuardOptions,
  invalidSessionReply,
  LOGIN_STATE,
  wafer2Body,
} from './wafer2/auth.js';
import { createWeappSession, type WeappSessionOptions } from './weapp-session/weapp-session.js';

interface Ctx {
  req: import('node:http').IncomingMessage & { $wxUserInfo?: WxUserInfo | null };
  res: import('node:http').ServerResponse;
  state: Record<string, unknown>;
  status: number;
  body: unknown;
}
type Next = () => Promise<unknown>;

function fail(ctx: Ctx, error: unknown): void {
  const hutong = asHutongError(error);
  ctx.status = hutong.status;
  ctx.body = wafer2Body.error(hutong);
}

/**
 * Koa glue: the Wafer 2 `authorizationMiddleware` / `validationMiddleware` (result on
 * `ctx.state.$wxInfo`), plus `login` (a complete login route) and `requireSession` (401 `{code:-1}`,
 * or `{needLogin: true}` with `guard.invalidSession: 'needLogin'`).
 */
export function hutongKoa(target: AuthTarget, guard: GuardOptions = {}) {
  const auth = createWafer2Auth(target);
  return {
    auth,
    authorizationMiddleware: auth.authorizationMiddleware,
    validationMiddleware: auth.validationMiddleware,
    login() {
      return async (ctx: Ctx) => {
        try {
          ctx.body = wafer2Body.ok((await auth.authorization(ctx.req)).userinfo);
        } catch (error) {
          fail(ctx, error);
        }
      };
    },
    requireSession() {
      return async (ctx: Ctx, next: Next) => {
        let result: Awaited<ReturnType<typeof auth.validation>>;
        try {
          result = await auth.validation(ctx.req);
        } catch (error) {
          return fail(ctx, error);
        }
        if (result.loginState !== LOGIN_STATE.SUCCESS) {
          const reply = invalidSessionReply(guard.invalidSession);
          ctx.status = reply.status;
          ctx.body = reply.body;
          return;
        }
        ctx.state['$wxInfo'] = result;
        return next();
      };
    },
  };
}

/** Koa: a receiveUrl route for tunnel callbacks (uses `ctx.request.body` when a body parser ran). */
export function koaTunnelCallbacks(handler: TunnelHandler, options: CallbackOptions) {
  return async (ctx: Ctx & { request?: { body?: unknown } }) => {
    const parsed = ctx.request?.body;
    const body = parsed !== undefined ? parsed : await readBody(ctx.req);
    const reply = handleTunnelCallback(body, handler, options);
    ctx.status = reply.status;
    ctx.body = reply.body;
  };
}

/** Koa: the IM webhook route. */
export function koaImWebhook(handlers: ImWebhookHandlers, options: { key: string }) {
  return async (ctx: Ctx & { request?: { body?: unknown } }) => {
    const parsed = ctx.request?.body;
    const reply = await handleImWebhook(
      parsed !== undefined ? parsed : await readBody(ctx.req),
      handlers,
      options,
    );
    ctx.status = reply.status;
    ctx.body = reply.body;
  };
}

/**
 * Koa: weapp-session's middleware backed by Hutong (`options.auth`): sets `ctx.state.$wxUserInfo`
 * and `ctx.req.$wxUserInfo` (null without a code) and awaits `next()`, or answers weapp-session's
 * error body. `ignore` gets `(ctx.req, ctx.res)`, as the original's `(req, res)`.
 */
export function weappSession(options: WeappSessionOptions<Ctx['req'], import('node:http').ServerResponse>) {
  const session = createWeappSession(options);
  return async (ctx: Ctx, next: Next) => {
    if (session.ignore(ctx.req, ctx.res)) return next();
    const outcome = await session.resolve(ctx.req.headers);
    if ('error' in outcome) {
      ctx.status = 200;
      ctx.body = outcome.error;
      return;
    }
    ctx.state['$wxUserInfo'] = outcome.user;
    ctx.req.$wxUserInfo = outcome.user;
    return next();
  };
}
