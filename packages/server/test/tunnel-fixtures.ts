import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Broker } from '@hutong/core';
import { HandlerReceiver, type TunnelHandler } from '@hutong/core';
import { checkTunnelSignature, tunnelSignature } from '@hutong/protocol/wafer-signature';
import Fastify, { type FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { LocalBroker } from '../src/brokers/local-broker.js';
import { UpgradeRouter } from '../src/http/upgrade-router.js';
import type { Hutong } from '../src/hutong.js';
import { CONNECT_PATH, type TunnelHub, type TunnelHubOptions } from '../src/tunnel/tunnel-hub.js';
import { TunnelRouter } from '../src/tunnel/tunnel-router.js';
import { type TunnelRoutesOptions, tunnelRoutes } from '../src/tunnel/tunnel-routes.js';

export { until } from '@hutong/core/testing';

export const KEY = 'test-tunnel-key';

export interface TunnelFixture {
  url: string;
  hub: TunnelHub;
  router: TunnelRouter;
  app: FastifyInstance;
  /** Signed tunnel API call. */
  api(path: string, data: unknown, extra?: Record<string, unknown>): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function startTunnels(
  options: Partial<TunnelHubOptions> = {},
  routes: Partial<TunnelRoutesOptions> = {},
  broker: Broker = new LocalBroker(),
): Promise<TunnelFixture> {
  const app = Fastify();
  let base = '';
  const router = new TunnelRouter(broker, { publicWsUrl: () => base.replace(/^http/, 'ws'), ...options });
  await router.start();
  const hub = router.hub;
  const upgrades = new UpgradeRouter();
  upgrades.register(CONNECT_PATH, hub.handleUpgrade);
  app.server.on('upgrade', upgrades.handle);
  await app.register(tunnelRoutes, {
    prefix: '/tunnel',
    router,
    keys: [KEY],
    webhook: { retryDelaysMs: [20, 40], timeoutMs: 500 },
    ...routes,
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: base,
    hub,
    router,
    app,
    api: signedApi(base),
    async close() {
      await router.close();
      await app.close();
    },
  };
}

/** Signed tunnel API calls to the node at `base`, with `KEY`. */
function signedApi(base: string): TunnelFixture['api'] {
  return async (path, data, extra = {}) => {
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    const response = await fetch(`${base}/tunnel${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: text, tcId: 'tc', signature: tunnelSignature(text, KEY), ...extra }),
    });
    return { status: response.status, body: await response.json() };
  };
}

/** A listening Hutong node (tunnel signature key `KEY`, as createCluster's) seen as a TunnelFixture. */
export function tunnelFixtureOf(node: Hutong, url: string): TunnelFixture {
  return {
    url,
    hub: node.tunnels,
    router: node.router,
    app: node.app,
    api: signedApi(url),
    close: () => node.close(),
  };
}

/** A raw protocol client: every frame it gets is recorded. */
export async function connect(url: string) {
  const ws = new WebSocket(url);
  const frames: string[] = [];
  ws.on('message', (data) => frames.push(String(data)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    closed,
    async waitFor(match: (frame: string) => boolean, what = 'frame', ms = 2000): Promise<string> {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const found = frames.find(match);
        if (found !== undefined) return found;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error(`no ${what}; frames: ${JSON.stringify(frames).slice(0, 300)}`);
    },
  };
}

/** A handler recording events in order, with an optional delay per event. */
export function recorder(delayMs = 0) {
  const events: string[] = [];
  const pause = () => (delayMs ? new Promise((resolve) => setTimeout(resolve, delayMs)) : undefined);
  const handler: TunnelHandler = {
    async onConnect(id) {
      await pause();
      events.push(`connect ${id}`);
    },
    async onMessage(id, type, content) {
      await pause();
      events.push(`message ${id} ${type} ${JSON.stringify(content)}`);
    },
    async onClose(id) {
      await pause();
      events.push(`close ${id}`);
    },
  };
  return { events, receiver: new HandlerReceiver(handler) };
}

/** A business server's tunnel endpoint: records signed callbacks, answers with `status()`. */
export async function receiverServer(status: () => number = () => 200) {
  const received: { data: any; signed: boolean }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const parsed = JSON.parse(body) as { data: string; signature: string };
      received.push({
        data: JSON.parse(parsed.data),
        signed: checkTunnelSignature(parsed.data, parsed.signature, KEY),
      });
      res.writeHead(status(), { 'content-type': 'application/json' }).end('{"code":0,"message":"ok"}');
    });
  });
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    received,
    /** TCP connections the receiver accepted so far. */
    connections: () => connections,
    port,
    url: `http://127.0.0.1:${port}/tunnel`,
    close: () =>
      new Promise((r) => {
        server.close(r);
        server.closeAllConnections();
      }),
  };
}
