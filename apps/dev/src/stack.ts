import { randomBytes } from 'node:crypto';
import {
  type ChatRoom,
  type Demos,
  type RegisterDemosOptions,
  registerDemos,
  SqlDemoStore,
} from '@hutong/demos';
import { hutongFastify } from '@hutong/node-sdk/fastify';
import {
  createHutong,
  createLogger,
  devApp,
  devTunnelSignatureKey,
  type Hutong,
  loadConfigWithFile,
} from '@hutong/server';
import { WeChatSim, wechatSimPlugin } from '@hutong/wechat-sim';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import { dashboardLink, dashboardUrl } from './dashboard.js';
import { isAddressInUse, PortTakenError } from './port-taken.js';
import { prettyDestination } from './pretty-log.js';
import { loadSeedConfig } from './seed-config.js';

/** The development app and tunnel key (`hutong start` refuses both: they are published here). */
export { devApp, devTunnelSignatureKey };

export interface DevStack {
  url: string;
  hutong: Hutong;
  sim: WeChatSim;
  chat: ChatRoom;
  demos: Demos;
  /**
   * The dashboard's token and the link that opens it in a browser (`dashboard.ts`); `generated`:
   * random for this start, none being configured. Undefined when the dashboard is off.
   */
  admin: { token: string; generated: boolean; url: string } | undefined;
  close(): Promise<void>;
}

export interface DevStackOptions {
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /**
   * Where the logger writes when `logger` is not given: by default lines for reading when stdout
   * is a terminal (`pretty-log.ts`), else JSON on stdout. Request lines are at debug either way.
   */
  logDestination?: DestinationStream;
  /**
   * A random admin token when none is configured, so that the dashboard opens from the link the
   * banner prints (default true; false: no token, no dashboard, as with `hutong start`).
   */
  generateAdminToken?: boolean;
  /**
   * Called with the Fastify app after the dev routes are registered and before it listens: extra
   * routes or hooks, e.g. a test serving a page from the API's own origin (the dev stack sends no
   * CORS headers).
   */
  setup?: (app: FastifyInstance) => void | Promise<void>;
  /**
   * The demos' store, pages directory and seed routes (default: on the IM store's database;
   * `apps/demos/dist`; as `HUTONG_SEED_CONFIG` says, else `/applet`). Wins over the seed file.
   */
  demos?: RegisterDemosOptions;
}

/**
 * What `npm start` runs: the Hutong server, the WeChat simulator under `/__wx` (Hutong's WeChat
 * client calls it over HTTP, as it would call api.weixin.qq.com), the Wafer 2 login routes
 * `/weapp/login` and `/weapp/user`, and the demos (`@hutong/demos`): their business routes under
 * `/weapp` (the chat room at `/weapp/tunnel`), the seed 一笔到底 app's under `/applet` and their
 * pages at `/`. `HUTONG_SEED_CONFIG` names the seed server's `config.js` (`seed-config.ts`): its
 * settings go under the environment's. Without a configured admin token one is generated, so that
 * the dashboard (`/admin/`) opens from the link `banner.ts` prints.
 */
export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  const given = options.env ?? process.env;
  const seedFile = given['HUTONG_SEED_CONFIG'];
  const seed = seedFile ? await loadSeedConfig(seedFile, given) : undefined;
  const env = seed?.env ?? given;
  const config = await loadConfigWithFile(env['HUTONG_CONFIG'], env, {
    apps: [devApp],
    tunnelSignatureKey: devTunnelSignatureKey,
  });
  const generated = !config.adminToken && options.generateAdminToken !== false;
  if (generated) config.adminToken = randomBytes(24).toString('hex');
  const logger =
    options.logger ??
    createLogger(
      config.logLevel,
      options.logDestination ?? (process.stdout.isTTY ? prettyDestination() : undefined),
      { requestLevel: 'debug' },
    );
  const sim = new WeChatSim({ apps: config.apps });
  let publicUrl = () => config.publicUrl;
  const hutong = await createHutong(config, {
    logger,
    ...(config.wechatApiUrl ? {} : { wechatBaseUrl: () => `${publicUrl()}/__wx` }),
  });
  publicUrl = () => hutong.publicUrl;
  const { app } = hutong;
  await app.register(wechatSimPlugin, { prefix: '/__wx', sim });
  await app.register(hutongFastify, { auth: hutong.auth });
  app.get('/weapp/login', (request, reply) => app.hutong.login(request, reply));
  app.post('/weapp/login', (request, reply) => app.hutong.login(request, reply));
  app.get('/weapp/user', { preHandler: app.hutong.requireSession }, async (request) => ({
    code: 0,
    data: request.wxInfo?.userinfo,
  }));
  const seedStore = seed?.demoStore && !options.demos?.store ? new SqlDemoStore(seed.demoStore) : undefined;
  const demos = await registerDemos(app, hutong, {
    ...(seed ? { applet: seed.applet } : {}),
    ...(seedStore ? { store: seedStore } : {}),
    ...options.demos,
  }).catch(async (error: unknown) => {
    await hutong.close();
    await seedStore?.close();
    throw error;
  });
  if (seed) hutong.logger.info({ file: seedFile, applet: seed.applet }, 'seed config applied');
  if (config.adminToken) dashboardLink(app, config.adminToken);
  await options.setup?.(app);

  try {
    await hutong.listen();
  } catch (error) {
    await hutong.close().catch(() => {});
    await demos.close().catch(() => {});
    if (isAddressInUse(error)) throw new PortTakenError(config.host, config.port, { cause: error });
    throw error;
  }
  const token = config.adminToken;
  return {
    url: hutong.publicUrl,
    hutong,
    sim,
    chat: demos.chat,
    demos,
    admin: token ? { token, generated, url: dashboardUrl(hutong.publicUrl, token) } : undefined,
    close: async () => {
      await hutong.close();
      await demos.close();
    },
  };
}
