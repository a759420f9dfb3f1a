/**
 * The operator's endpoints, all behind the admin token (`Authorization: Bearer <token>`, compared
 * in constant time): `/metrics` (Prometheus text) and `/admin/api/stats` (the dashboard's JSON),
 * and the dashboard page itself at `/admin/` when it is built. Without a configured token none of
 * them exist.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { HutongError } from '@hutong/protocol';
import { safeEqual } from '@hutong/protocol/wechat-crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { NodeStats } from './node-stats.js';

/** The built page: `dist/admin/` of this package (`npm run build`), from the sources or the build alike. */
export const adminPageDir = join(
  dirname(createRequire(import.meta.url).resolve('@hutong/server/package.json')),
  'dist/admin/',
);

export interface AdminRoutesOptions {
  token: string;
  registry: Registry;
  stats: NodeStats;
  /** Default `adminPageDir`. */
  pageDir?: string;
}

/** RFC 7235: the auth scheme is case-insensitive (`Bearer`, `bearer`, `BEARER`). */
const BEARER = /^bearer +([\x21-\x7e]{1,512})$/i;

export const adminRoutes: FastifyPluginAsync<AdminRoutesOptions> = async (app, options) => {
  const { token, registry, stats } = options;
  const requireToken = async (request: FastifyRequest) => {
    const given = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (!given || !safeEqual(given, token)) throw new HutongError('ERR_ADMIN_TOKEN');
  };

  app.get('/metrics', { onRequest: requireToken }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });

  app.get('/admin/api/stats', { onRequest: requireToken }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return stats.view();
  });

  const pageDir = options.pageDir ?? adminPageDir;
  if (existsSync(join(pageDir, 'index.html'))) {
    await app.register(fastifyStatic, {
      root: pageDir,
      prefix: '/admin/',
      decorateReply: false,
      wildcard: false,
      index: 'index.html',
      redirect: true,
    });
  } else {
    app.get('/admin/', (_request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .send('The dashboard page is not built: run `npm run build:web`.\n'),
    );
  }
};
