import type { TunnelHandler } from '@hutong/core';
import { asHutongError } from '@hutong/core';
import type { WxUserInfo } from '@hutong/protocol';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthTarget } from './backend.js';
import { handleImWebhook, type ImWebhookHandlers } from './im/im-webhook.js';
import { type CallbackOptions, handleTunnelCallback } from './tunnel/callback.js';
import {
  type AuthorizationResult,
  createWafer2Auth,
  type GuardOptions,
  invalidSessionReply,
  LOGIN_STATE,
  type Wafer2Auth,
  type ValidationResult as Wafer2Validation,
  wafer2Body,
} from './wafer2/auth.js';
import { createWeappSession, type WeappSessionOptions } from './weapp-session/weapp-session.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the `hutong.authorization` / `hutong.validation` / `hutong.requireSession` hooks. */
    wxInfo?: AuthorizationResult | Wafer2Validation;
    /** Set by the `weappSession` preHandler: the user of the request's code, null without one. */
    $wxUserInfo?: WxUserInfo | null;
  }
  interface FastifyInstance {
    hutong: {
      auth: Wafer2Auth;
      /** Route handler: logs in from the X-WX-* headers, answers `{code: 0, data: {skey, userinfo}}`. */
      login: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
      /** preHandler: sets `request.wxInfo` to the validation result (loginState 0 or 1). */
      validation: (request: FastifyRequest) => Promise<void>;
      /** preHandler: answers 401 `{code: -1}` unless the session is valid. */
      requireSession: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
    };
  }
}

function fail(reply: FastifyReply, error: unknown) {
  const hutong = asHutongError(error);
  return reply.code(hutong.status).send(wafer2Body.error(hutong));
}

/** Fastify plugin: `app.register(hutongFastify, {auth: target})`, then use `app.hutong.*`. */
export const hutongFastify: FastifyPluginAsync<{ auth: AuthTarget } & GuardOptions> = async (
  app,
  options,
) => {
  const auth = createWafer2Auth(options.auth);
  app.decorateRequest('wxInfo', undefined);
  app.decorate('hutong', {
    auth,
    async login(request: FastifyRequest, reply: FastifyReply) {
      try {
        return wafer2Body.ok((await auth.authorization(request)).userinfo);
      } catch (error) {
        return fail(reply, error);
      }
    },
    async validation(request: FastifyRequest) {
      request.wxInfo = await auth.validation(request);
    },
    async requireSession(request: FastifyRequest, reply: FastifyReply) {
      let result: Wafer2Validation;
      try {
        result = await auth.validation(request);
      } catch (error) {
        return fail(reply, error);
      }
      if (result.loginState !== LOGIN_STATE.SUCCESS) {
        const answer = invalidSessionReply(options.invalidSession);
        return reply.code(answer.status).send(answer.body);
      }
      request.wxInfo = result;
      return undefined;
    },
  });
};
// Without fastify-plugin's skip-override the decorations would stay inside the plugin's scope.
(hutongFastify as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;

/** Fastify: a receiveUrl route handler for tunnel callbacks (`app.post('/tunnel', fastifyTunnelCallbacks(h, {key}))`). */
export function fastifyTunnelCallbacks(handler: TunnelHandler, options: CallbackOptions) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const result = handleTunnelCallback(request.body, handler, options);
    return reply.code(result.status).send(result.body);
  };
}

/** Fastify: the IM webhook route handler. */
export function fastifyImWebhook(handlers: ImWebhookHandlers, options: { key: string }) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const result = await handleImWebhook(request.body, handlers, options);
    return reply.code(result.status).send(result.body);
  };
}

/**
 * Fastify: weapp-session's middleware as a preHandler (`app.addHook('preHandler', weappSession(o))`
 * in a plugin, or per route), backed by Hutong (`options.auth`): sets `request.$wxUserInfo` (null
 * without a code), or answers weapp-session's error body. `ignore` gets `(request, reply)`.
 */
export function weappSession(options: WeappSessionOptions<FastifyRequest, FastifyReply>) {
  const session = createWeappSession(options);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (session.ignore(request, reply)) return;
    const outcome = await session.resolve(request.headers);
    if ('error' in outcome) return reply.code(200).send(outcome.error);
    request.$wxUserInfo = outcome.user;
  };
}
