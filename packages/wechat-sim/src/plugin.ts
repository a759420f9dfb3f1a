import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { deviceRoutes } from './device-routes.js';
import { platformRoutes } from './platform-routes.js';
import type { SimAppConfig, WeChatSimOptions } from './sim-config.js';
import { WeChatSim } from './sim-state.js';

export interface WechatSimPluginOptions {
  sim: WeChatSim;
}

/**
 * The whole simulator as one Fastify plugin: the platform API under WeChat's real paths and the
 * device API under `/sim`. Mount it with a prefix (the dev stack uses `/__wx`). Its body parsers
 * and error handler stay inside its own scope.
 */
export const wechatSimPlugin: FastifyPluginAsync<WechatSimPluginOptions> = async (app, { sim }) => {
  await app.register(platformRoutes, { sim });
  await app.register(deviceRoutes, { sim, prefix: '/sim' });
};

export interface SimServerOptions extends WeChatSimOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Where the simulator is mounted; default '' (the root). */
  prefix?: string;
  /** Use this state instead of making one from the options above. */
  sim?: WeChatSim;
}

export interface SimServer {
  /** Base URL of the simulator, prefix included, without a trailing slash. */
  url: string;
  sim: WeChatSim;
  apps: SimAppConfig[];
  server: FastifyInstance;
  close(): Promise<void>;
}

/** Starts the simulator on its own HTTP server (tests, `cli.ts`). `GET /healthz` answers 200. */
export async function createSimServer(options: SimServerOptions = {}): Promise<SimServer> {
  const { host = '127.0.0.1', port = 0, prefix = '', sim: given, ...simOptions } = options;
  const sim = given ?? new WeChatSim(simOptions);
  const server = Fastify({ logger: false });
  server.get('/healthz', async () => ({ ok: true }));
  await server.register(wechatSimPlugin, { sim, prefix });
  await server.listen({ host, port });
  const address = server.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${hostPart}:${boundPort}${prefix}`,
    sim,
    apps: sim.apps,
    server,
    close: () => server.close(),
  };
}
