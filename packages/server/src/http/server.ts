import type { RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { apiErrorBody, asHutongError } from '@hutong/core';
import { HutongError } from '@hutong/protocol';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';
import type { ErrorLog } from '../metrics/error-log.js';
import { addressList } from './address-list.js';
import { apiRoutes } from './api-routes.js';
import { wafer1AuthRoutes } from './wafer1-auth-routes.js';

export interface HttpServerOptions {
  auth: AuthService;
  /** Addresses and CIDR ranges of the business servers allowed to call `/auth` (Wafer 1). */
  authCallers?: readonly string[];
  /** A pino logger; none means silent. */
  logger?: FastifyBaseLogger;
  /** Largest JSON body, bytes. Default 64 KiB. */
  bodyLimit?: number;
  /** Largest request head, bytes (Node answers 431 above it). Default 32 KiB. */
  maxHeaderSize?: number;
  /**
   * Proxies whose X-Forwarded-For is believed (addresses or CIDR ranges, comma-separated), so that
   * per-address login limits see the user's address. Default: none.
   */
  trustProxy?: string;
  /** Readiness probe: throw when a dependency is down. */
  ready?: () => Promise<void>;
  /** Where error answers are recorded by code (metrics, dashboard). */
  errors?: ErrorLog;
  /** HTTPS (and so WSS): a PEM certificate chain and key. */
  tls?: { cert: Buffer; key: Buffer };
}

/** The registry code in an error answer's JSON (Hutong's, Wafer 2's and the demos' bodies carry one). */
const ERROR_CODE =
  /"(?:code|error)"\s*:\s*"(ERR_[A-Z0-9_]{1,60})"(?:\s*,\s*"message"\s*:\s*"((?:[^"\\]|\\.){0,200}))?/;

/** Header values that must never reach a log line. */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers["x-wx-skey"]',
  'req.headers["x-wx-code"]',
  'req.headers["x-wx-encrypted-data"]',
  'req.headers["x-wx-encrypt-data"]',
  'req.headers["x-wx-iv"]',
  'req.headers.cookie',
];

/**
 * The Hutong HTTP server: `/healthz`, `/readyz`, the Wafer 1 auth API at `/auth` and Hutong's JSON API
 * at `/api/v1`. Other modules (simulator, demo routes, tunnel) register on the returned instance.
 */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    routerOptions: { maxParamLength: 256 },
    http: { maxHeaderSize: options.maxHeaderSize ?? 32 * 1024 },
    ...(options.tls
      ? {
          // An https.Server (its secure context replaceable on SIGHUP) under the same Fastify instance.
          serverFactory: (handler: RequestListener) =>
            createHttpsServer({ ...options.tls, maxHeaderSize: options.maxHeaderSize ?? 32 * 1024 }, handler),
        }
      : {}),
    // Leave ids to the log line; never echo client-chosen request ids.
    requestIdHeader: false,
    ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}),
  });

  const errors = options.errors;
  if (errors) {
    // Every error answer, whichever route or plugin made it, counted by its code.
    // A callback hook, not an async one: it runs on every answer and must cost next to nothing.
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (reply.statusCode >= 400 && typeof payload === 'string' && payload.length < 4096) {
        const found = ERROR_CODE.exec(payload);
        errors.record(found?.[1] ?? `HTTP_${reply.statusCode}`, 'http', found?.[2] ?? '');
      }
      done(null, payload);
    });
  }
  app.setErrorHandler((error, request, reply) => {
    const hutong = asHutongError(error);
    if (hutong.code === 'ERR_INTERNAL') request.log.error({ err: error }, 'request failed');
    const retryAfterMs = hutong.details?.['retryAfterMs'];
    if (typeof retryAfterMs === 'number') reply.header('retry-after', Math.ceil(retryAfterMs / 1000));
    return reply.code(hutong.status).send(apiErrorBody(hutong));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(apiErrorBody(new HutongError('ERR_NOT_FOUND', `No route ${request.method} ${request.url}`))),
  );

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await (options.ready ?? (() => options.auth.store.ping()))();
      return { ok: true };
    } catch (error) {
      return reply.code(503).send(apiErrorBody(asHutongError(error)));
    }
  });
  app.register(wafer1AuthRoutes, {
    prefix: '/auth',
    auth: options.auth,
    ...(options.authCallers ? { callers: addressList(options.authCallers) } : {}),
  });
  app.register(apiRoutes, { prefix: '/api/v1', auth: options.auth });
  return app;
}
