import { type ChatRoom, type Demos, type RegisterDemosOptions, registerDemos } from '@hutong/demos';
import { hutongFastify } from '@hutong/node-sdk/fastify';
import { createHutong, devApp, devTunnelSignatureKey, type Hutong, loadConfigWithFile } from '@hutong/server';
import { WeChatSim, wechatSimPlugin } from '@hutong/wechat-sim';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/** The development app and tunnel key (`hutong start` refuses both: they are published here). */
export { devApp, devTunnelSignatureKey };

export interface DevStack {
  url: string;
  hutong: Hutong;
  sim: WeChatSim;
  chat: ChatRoom;
  demos: Demos;
  close(): Promise<void>;
}

export interface DevStackOptions {
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /**
   * Called with the Fastify app after the dev routes are registered and before it listens: extra
   * routes or hooks, e.g. a test serving a page from the API's own origin (the dev stack sends no
   * CORS headers).
   */
  setup?: (app: FastifyInstance) => void | Promise<void>;
  /** The demos' store and pages directory (default: on the IM store's database; `apps/demos/dist`). */
  demos?: RegisterDemosOptions;
}

/**
 * What `npm start` runs: the Hutong server, the WeChat simulator under `/__wx` (Hutong's WeChat
 * client calls it over HTTP, as it would call api.weixin.qq.com), the Wafer 2 login routes
 * `/weapp/login` and `/weapp/user`, and the demos (`@hutong/demos`): their business routes under
 * `/weapp` (the chat room at `/weapp/tunnel`) and their pages at `/`.
 */
export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  const env = options.env ?? process.env;
  const config = await loadConfigWithFile(env['HUTONG_CONFIG'], env, {
    apps: [devApp],
    tunnelSignatureKey: devTunnelSignatureKey,
  });
  const sim = new WeChatSim({ apps: config.apps });
  let publicUrl = () => config.publicUrl;
  const hutong = await createHutong(config, {
    ...(options.logger ? { logger: options.logger } : {}),
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
  const demos = await registerDemos(app, hutong, options.demos);
  await options.setup?.(app);

  await hutong.listen();
  return {
    url: hutong.publicUrl,
    hutong,
    sim,
    chat: demos.chat,
    demos,
    close: async () => {
      await hutong.close();
      await demos.close();
    },
  };
}
