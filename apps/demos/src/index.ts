import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { Hutong } from '@hutong/server';
import type { FastifyInstance } from 'fastify';
import { APPLET_BASE_PATH, appletRoutes } from './applet-routes.js';
import { ChatRoom } from './chat-room.js';
import { type DemoStore, SqlDemoStore } from './demo-store.js';
import { demoRoutes } from './routes.js';

export * from './applet-routes.js';
export * from './chat-room.js';
export * from './demo-store.js';
export * from './drawing.js';
export * from './paint-store.js';
export * from './routes.js';
export * from './schemas.js';

/** Where `npm run build:web` puts the pages. */
export const demoPagesDir = new URL('../dist/', import.meta.url).pathname;

export interface Demos {
  chat: ChatRoom;
  store: DemoStore;
  close(): Promise<void>;
}

export interface RegisterDemosOptions {
  /** Default: a store on the IM store's database (`demos.sqlite` next to `im.sqlite` for SQLite). */
  store?: DemoStore;
  /** Where the built pages are; default `demoPagesDir`. */
  pagesDir?: string;
  /**
   * The seed 一笔到底 app's routes (`applet-routes.ts`) at `<basePath>/session/paints`, behind
   * weapp-session with sessions of `ttlSeconds`. Default `/applet` and 7200 s, as the original's
   * `ROUTE_BASE_PATH` and `redisConfig.ttl`; `false`: not registered.
   */
  applet?: { basePath?: string; ttlSeconds?: number } | false;
}

/** The demo store on the same database as Hutong's IM messages: SQLite, MySQL or PostgreSQL. */
export function defaultDemoStore(config: Hutong['config']): DemoStore {
  const im = config.im.store;
  if (im.kind !== 'sqlite') return new SqlDemoStore({ kind: im.kind, url: im.url });
  const file = im.file === ':memory:' ? ':memory:' : join(config.dataDir, 'demos.sqlite');
  return new SqlDemoStore({ kind: 'sqlite', file });
}

/** Where the seed app's routes go and their session TTL, checked; undefined when they are off. */
function appletSettings(applet: RegisterDemosOptions['applet']) {
  if (applet === false) return undefined;
  const { basePath = '/applet', ttlSeconds = 7200 } = applet ?? {};
  if (!APPLET_BASE_PATH.test(basePath))
    throw new TypeError(`applet.basePath must be '' or /segment/…, without a trailing slash: "${basePath}"`);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1)
    throw new TypeError(`applet.ttlSeconds must be a whole number of seconds ≥ 1, got ${ttlSeconds}`);
  return { prefix: `${basePath}/session/paints`, ttlSeconds };
}

/**
 * The demos on a dev stack's Fastify app (with `@hutong/node-sdk/fastify` registered): business
 * routes under `/weapp`, the seed app's under `/applet/session/paints` (`options.applet`) and the
 * built pages at `/` (`/chat/`, `/doodle/`, `/im-chat/`). Throws a TypeError for a bad `applet`.
 */
export async function registerDemos(
  app: FastifyInstance,
  hutong: Hutong,
  options: RegisterDemosOptions = {},
): Promise<Demos> {
  const applet = appletSettings(options.applet);
  const store = options.store ?? defaultDemoStore(hutong.config);
  await store.migrate();
  const chat = new ChatRoom(hutong.tunnels);
  await app.register(demoRoutes, { prefix: '/weapp', store, chat, imStore: hutong.imStore });
  if (applet) {
    const { prefix, ttlSeconds } = applet;
    await app.register(appletRoutes, { prefix, store, auth: hutong.auth, ttlSeconds });
  }
  const pagesDir = options.pagesDir ?? demoPagesDir;
  if (existsSync(join(pagesDir, 'index.html'))) {
    // Any file under the directory (a rebuild's new asset names too); `/chat` redirects to `/chat/`.
    await app.register(fastifyStatic, { root: pagesDir, prefix: '/', index: 'index.html', redirect: true });
  } else {
    hutong.logger.warn({ pagesDir }, 'demo pages are not built: run `npm run build:web`');
    app.get('/', (_request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .send('The demo pages are not built: run `npm run build:web`.\n'),
    );
  }
  return {
    chat,
    store,
    close: async () => {
      chat.close();
      await store.close();
    },
  };
}
