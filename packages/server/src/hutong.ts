import { mkdirSync } from 'node:fs';
import type { BlockList } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { Broker, MessageStore, SessionStore, WeChatApi } from '@hutong/core';
import { HutongError } from '@hutong/protocol';
import { DRAIN_CLOSE_CODE } from '@hutong/protocol/headers';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AuthService } from './auth/auth-service.js';
import { HttpWeChatApi } from './auth/wechat-api.js';
import { LocalBroker } from './brokers/local-broker.js';
import { RedisBroker } from './brokers/redis-broker.js';
import { type HutongConfig, loadTls } from './config/config.js';
import { redactQuery } from './config/redact.js';
import { type DriverName, driverOf, loadDriver } from './drivers.js';
import { addressList } from './http/address-list.js';
import { createHttpServer, redactedPaths } from './http/server.js';
import { UpgradeRouter } from './http/upgrade-router.js';
import { createMessageStore } from './im/create-message-store.js';
import { IM_PATH, type ImHooks, ImHub, type ImHubOptions } from './im/im-hub.js';
import { imRoutes } from './im/im-routes.js';
import { imWebhook } from './im/im-webhook.js';
import { sessionLoginVerifier } from './im/session-verifier.js';
import { adminOffRoutes } from './metrics/admin-off.js';
import { adminRoutes } from './metrics/admin-routes.js';
import { ErrorLog } from './metrics/error-log.js';
import { createLatencyHistogram, timed } from './metrics/latency.js';
import { createMetrics } from './metrics/metrics.js';
import { NodeStats } from './metrics/node-stats.js';
import { untilReachable } from './startup.js';
import { createSessionStore } from './stores/index.js';
import { CONNECT_PATH, type TunnelHub } from './tunnel/tunnel-hub.js';
import { TunnelRouter } from './tunnel/tunnel-router.js';
import { tunnelRoutes } from './tunnel/tunnel-routes.js';

export interface Hutong {
  config: HutongConfig;
  app: FastifyInstance;
  auth: AuthService;
  store: SessionStore;
  tunnels: TunnelHub;
  router: TunnelRouter;
  /** The IM endpoint (`/im`) and its message store. */
  im: ImHub;
  imStore: MessageStore;
  logger: Logger;
  /**
   * This node's metrics (what `/metrics` exports) and the dashboard's cluster view. Latency and
   * process metrics are collected only with an admin token (nothing could read them otherwise).
   */
  metrics: Registry;
  nodeStats: NodeStats;
  errors: ErrorLog;
  /** Where clients reach this node (config.publicUrl, with the bound port once listening on port 0). */
  readonly publicUrl: string;
  /** Starts listening on config.host:config.port; resolves to the bound address. */
  listen(): Promise<string>;
  /** Reads the TLS certificate and key again (SIGHUP); a bad pair is logged and the old one kept. */
  reloadTls(): boolean;
  /**
   * A rolling restart's SIGTERM: readiness goes red, no new connections are taken, every tunnel
   * and IM client is told to reconnect elsewhere at once (close code 4503), pending tunnel events
   * and webhooks are handed over, and everything is closed within `config.drainTimeoutMs`.
   * Accepted IM messages are stored before they are acknowledged, so none is lost.
   */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export interface CreateHutongOptions {
  /** Replaces the HTTP WeChat client (tests). */
  wechat?: WeChatApi;
  /** WeChat API base URL read on every call; wins over config.wechatApiUrl (dev stack). */
  wechatBaseUrl?: () => string;
  logger?: Logger;
  /** Replaces the broker the configuration names (tests: several nodes on one LocalBus). */
  broker?: Broker;
  /** How often expired sessions are purged, ms. Default 10 minutes; 0 disables. */
  purgeIntervalMs?: number;
  /** Replaces the IM login check (default: the token is a session skey of that openid). */
  imVerifyLogin?: ImHubOptions['verifyLogin'];
  /** In-process IM hooks (instead of the configured webhook's). */
  imHooks?: ImHooks;
  /** IM data frames per connection per second (ImHub `maxMessagesPerSecond`; default 50). */
  imMaxMessagesPerSecond?: number;
}

/** `resource` once `prepare` succeeded; closed again when it failed (a start-up attempt). */
async function prepared<T extends { close(): Promise<void> }>(
  resource: T,
  prepare: (resource: T) => Promise<unknown>,
): Promise<T> {
  try {
    await prepare(resource);
    return resource;
  } catch (error) {
    await resource.close().catch(() => {});
    throw error;
  }
}

function createImStore(options: HutongConfig['im']['store']): Promise<MessageStore> {
  const store = createMessageStore(
    options.kind === 'sqlite'
      ? { kind: 'sqlite', url: options.file }
      : { kind: options.kind, url: options.url },
  );
  return prepared(store, (s) => s.migrate());
}

/** HUTONG_TRUST_PROXY as an address list, for the upgrade requests Fastify never sees. */
function trustedProxies(value: string): BlockList | undefined {
  try {
    return addressList(
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    );
  } catch {
    return undefined; // a proxy-addr keyword (`loopback`): connections count per peer address
  }
}

/** One PING on a fresh connection: whether the broker's Redis answers now. */
async function pingRedis(url: string): Promise<void> {
  const { Redis } = loadDriver('ioredis', 'HUTONG_BROKER=redis');
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } finally {
    redis.disconnect();
  }
}

interface RequestLike {
  method?: string;
  url?: string;
  headers?: Record<string, unknown>;
  socket?: { remoteAddress?: string; remotePort?: number };
}

export interface LoggerOptions {
  /**
   * The level of Fastify's two lines per request (`incoming request`, `request completed`): info
   * by default; the dev stack writes them at debug so that info shows what happened, not traffic.
   */
  requestLevel?: 'info' | 'debug';
}

/** The messages Fastify logs at info for every request. */
const REQUEST_LINES = new Set(['incoming request', 'request completed']);

/**
 * JSON logs: requests logged as method, url (secret query values redacted), host and peer; no
 * headers, no bodies. `destination` defaults to stdout.
 */
export function createLogger(
  level: string,
  destination?: pino.DestinationStream,
  { requestLevel = 'info' }: LoggerOptions = {},
): Logger {
  const options: pino.LoggerOptions = {
    level,
    ...(requestLevel === 'debug'
      ? {
          hooks: {
            logMethod(args, method, methodLevel) {
              if (methodLevel === pino.levels.values['info'] && REQUEST_LINES.has(args[1] as string))
                return this.debug.apply(this, args as Parameters<pino.LogFn>);
              return method.apply(this, args);
            },
          },
        }
      : {}),
    redact: { paths: redactedPaths, censor: '[redacted]' },
    serializers: {
      req: (req: RequestLike) => ({
        method: req.method,
        url: redactQuery(req.url ?? ''),
        host: req.headers?.['host'],
        remoteAddress: req.socket?.remoteAddress,
        remotePort: req.socket?.remotePort,
      }),
      err: pino.stdSerializers.err,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Fails at once, before anything starts, when a configured store or broker's driver is not
 * installed (they are optional peer dependencies): ConfigError `install pg to use HUTONG_STORE=postgres`.
 */
function checkDrivers(config: HutongConfig, options: CreateHutongOptions): void {
  const needed: [DriverName | undefined, string][] = [
    [
      config.store.kind === 'sqlite' ? undefined : driverOf[config.store.kind],
      `HUTONG_STORE=${config.store.kind}`,
    ],
    [
      config.im.store.kind === 'sqlite' ? undefined : driverOf[config.im.store.kind],
      `HUTONG_IM_STORE=${config.im.store.kind}`,
    ],
    [config.broker.kind === 'redis' && !options.broker ? 'ioredis' : undefined, 'HUTONG_BROKER=redis'],
  ];
  for (const [driver, use] of needed) if (driver) loadDriver(driver, use);
}

/** Wires configuration → store → WeChat client → auth service → HTTP server. */
export async function createHutong(config: HutongConfig, options: CreateHutongOptions = {}): Promise<Hutong> {
  checkDrivers(config, options);
  const logger = options.logger ?? createLogger(config.logLevel);
  if (config.store.kind === 'sqlite' && config.store.file !== ':memory:')
    mkdirSync(config.dataDir, { recursive: true });
  const waitFor = { logger, timeoutMs: config.startTimeoutMs };
  // Metrics cost nothing until someone can read them: without an admin token there is no
  // /metrics, so store and broker calls are not timed and process metrics are not sampled.
  const latency = config.adminToken ? createLatencyHistogram() : undefined;
  const time = <T extends object>(target: T, backend: string): T =>
    latency ? timed(target, backend, latency) : target;
  const store = time(
    await untilReachable(
      'session store',
      () => prepared(createSessionStore(config.store), (s) => s.init()),
      waitFor,
    ),
    'session',
  );
  const wechat =
    options.wechat ??
    new HttpWeChatApi({
      ...(options.wechatBaseUrl
        ? { baseUrl: options.wechatBaseUrl }
        : config.wechatApiUrl
          ? { baseUrl: config.wechatApiUrl }
          : {}),
      timeoutMs: config.wechatTimeoutMs,
    });
  const auth = new AuthService({
    apps: config.apps,
    store,
    wechat,
    sessionTtlMs: config.sessionTtlMs,
    sessionIdleTtlMs: config.sessionIdleTtlMs,
    singleSession: config.singleSession,
    userDataMaxAgeMs: config.userDataMaxAgeMs,
    loginRatePerIp: { limit: config.loginRatePerIp, windowMs: 60_000 },
    loginRatePerUser: { limit: config.loginRatePerUser, windowMs: 60_000 },
  });
  const errors = new ErrorLog();
  let draining = false;
  let closing: Promise<void> | undefined;
  const broker = time(
    options.broker ??
      (config.broker.kind === 'redis'
        ? new RedisBroker({ url: config.broker.url, ...(config.nodeId ? { nodeId: config.nodeId } : {}) })
        : new LocalBroker(undefined, config.nodeId ?? undefined)),
    'broker',
  );
  const app = createHttpServer({
    auth,
    logger,
    errors,
    ...(config.tls ? { tls: loadTls(config.tls) } : {}),
    ready: async () => {
      if (draining) throw new HutongError('ERR_DRAINING');
      await Promise.all([store.ping(), broker.ping()]);
    },
    ...(config.trustProxy ? { trustProxy: config.trustProxy } : {}),
    ...(config.authCallers ? { authCallers: config.authCallers } : {}),
  });
  let publicUrl = config.publicUrl;
  const { roomsPerTunnel, pushBodyBytes, ...hubLimits } = config.tunnelLimits;
  const router = new TunnelRouter(
    broker,
    {
      publicWsUrl: () => publicUrl.replace(/^http/, 'ws'),
      heartbeatSeconds: config.tunnelHeartbeatSeconds,
      ...hubLimits,
      rooms: { roomsPerTunnel },
      logger,
    },
    logger,
  );
  if (config.broker.kind === 'redis' && !options.broker) {
    const { url } = config.broker;
    await untilReachable('broker Redis', () => pingRedis(url), waitFor);
  }
  await router.start();
  const tunnels = router.hub;
  const proxies = config.trustProxy ? trustedProxies(config.trustProxy) : undefined;
  const upgrades = new UpgradeRouter({
    maxPerAddress: config.connectionsPerIp,
    ...(proxies ? { trustedProxies: proxies } : {}),
  });
  upgrades.register(CONNECT_PATH, tunnels.handleUpgrade);
  const imStore = time(
    await untilReachable('IM message store', () => createImStore(config.im.store), waitFor),
    'im',
  );
  if (config.broker.kind === 'redis' && config.im.store.kind === 'sqlite') {
    logger.warn(
      'IM messages are in a SQLite file of this node: in a cluster use HUTONG_IM_STORE=mysql or postgres',
    );
  }
  const webhook = config.im.webhook
    ? imWebhook({ ...config.im.webhook, key: config.tunnelSignatureKey, logger })
    : undefined;
  const hooks = options.imHooks ?? webhook?.hooks;
  const im = new ImHub({
    store: imStore,
    broker,
    ...(hooks ? { hooks } : {}),
    verifyLogin: options.imVerifyLogin ?? webhook?.verifyLogin ?? sessionLoginVerifier(auth),
    idleSeconds: config.im.idleSeconds,
    maxDevicesPerUser: config.im.maxDevicesPerUser,
    maxBufferedBytes: config.im.maxBufferedBytes,
    maxQueuedBytes: config.im.maxQueuedBytes,
    maxPendingAccepts: config.im.maxPendingAccepts,
    maxQueueWaitMs: config.im.maxQueueWaitMs,
    singleDevice: config.im.singleDevice,
    ...(options.imMaxMessagesPerSecond === undefined
      ? {}
      : { maxMessagesPerSecond: options.imMaxMessagesPerSecond }),
    logger,
    onError: (code, message) => errors.record(`im:${code}`, 'im', message),
  });
  upgrades.register(IM_PATH, im.handleUpgrade);
  // A logout closes the IM connections logged in with that session, on every node.
  auth.onSessionsEnded((ended) => im.endSession(ended.openid, 'skey' in ended ? ended.skey : undefined));
  app.register(imRoutes, { prefix: IM_PATH, store: imStore, auth, keys: [config.tunnelSignatureKey] });
  app.server.on('upgrade', upgrades.handle);
  app.register(tunnelRoutes, {
    prefix: '/tunnel',
    router,
    keys: [config.tunnelSignatureKey],
    ...(config.tunnelReceiveHosts ? { receiveHosts: config.tunnelReceiveHosts } : {}),
    pushBodyLimit: pushBodyBytes,
    webhook: {
      logger,
      retryDelaysMs: config.webhookRetryDelaysMs,
      onRetry: () => {
        router.stats.webhookRetries += 1;
      },
      onDrop: () => {
        router.stats.webhookDrops += 1;
      },
    },
  });

  const metrics = createMetrics({
    nodeId: broker.nodeId,
    tunnels,
    router,
    im,
    auth,
    errors,
    upgrades,
    ...(latency ? { latency, processMetrics: true } : {}),
  });
  const nodeStats = new NodeStats({ nodeId: broker.nodeId, registry: metrics, errors, broker, logger });
  if (config.adminToken) {
    app.register(adminRoutes, { token: config.adminToken, registry: metrics, stats: nodeStats });
  } else app.register(adminOffRoutes);

  const purgeEvery = options.purgeIntervalMs ?? 600_000;
  const purge =
    purgeEvery > 0
      ? setInterval(() => {
          store
            .purgeExpired(Date.now())
            .catch((err: unknown) => logger.warn({ err }, 'session purge failed'));
        }, purgeEvery).unref()
      : undefined;

  return {
    config,
    app,
    auth,
    store,
    tunnels,
    router,
    im,
    imStore,
    logger,
    metrics,
    nodeStats,
    errors,
    get publicUrl() {
      return publicUrl;
    },
    async listen() {
      // Fastify names the scheme from its own `https` option, which a serverFactory bypasses.
      const scheme = (address: string) => (config.tls ? address.replace(/^http:/, 'https:') : address);
      const address = scheme(
        await app.listen({
          host: config.host,
          port: config.port,
          listenTextResolver: (at) => `Server listening at ${scheme(at)}`,
        }),
      );
      const bound = app.server.address();
      if (config.port === 0 && bound && typeof bound === 'object') {
        publicUrl = publicUrl.replace(/:0$/, `:${bound.port}`);
      }
      if (config.adminToken) nodeStats.start();
      return address;
    },
    reloadTls() {
      if (!config.tls) return false;
      try {
        (app.server as unknown as TlsServer).setSecureContext(loadTls(config.tls));
        logger.info({ cert: config.tls.cert }, 'TLS certificate reloaded');
        return true;
      } catch (err) {
        logger.error({ err }, 'TLS certificate not reloaded; the previous one stays');
        return false;
      }
    },
    async drain() {
      draining = true;
      logger.info({ deadlineMs: config.drainTimeoutMs }, 'draining');
      app.server.close(); // no new connections; the open ones are closed below
      app.server.closeIdleConnections();
      const deadline = new Promise<'late'>((resolve) =>
        setTimeout(resolve, config.drainTimeoutMs, 'late').unref(),
      );
      const closed = close(DRAIN_CLOSE_CODE, 'draining: reconnect elsewhere').then(() => 'done' as const);
      if ((await Promise.race([closed, deadline])) === 'late') {
        logger.warn('drain deadline reached; closing what is left');
        app.server.closeAllConnections();
      }
    },
    close: () => close(),
  };

  /** Closes everything once; later calls wait for the first. */
  function close(code?: number, reason?: string): Promise<void> {
    closing ??= (async () => {
      if (purge) clearInterval(purge);
      nodeStats.stop();
      await router.close(code, reason);
      await im.close(code, reason);
      await app.close();
      await imStore.close();
      await store.close();
    })();
    return closing;
  }
}
