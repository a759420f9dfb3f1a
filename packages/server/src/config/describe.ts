/**
 * The configuration as `hutong config check` and `hutong config print` show it: in the config
 * file's shape and key names (`session.ttl` in seconds, not `sessionTtlMs`), so what is printed
 * can be pasted into a `hutong.config.json`. Secrets are `[redacted]`, and so is every credential
 * in a URL (`redact.ts`); the `…File` keys are not shown, their contents being secrets.
 */
import type { HutongConfig } from './config.js';
import { redactUrl } from './redact.js';

const REDACTED = '[redacted]';

/** Drops the undefined members, which JSON would drop anyway, so the shape is plain to compare. */
function defined(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

export function describeConfig(config: HutongConfig): Record<string, unknown> {
  const seconds = (ms: number) => ms / 1000;
  const t = config.tunnelLimits;
  const sessionStore = config.store;
  return defined({
    host: config.host,
    port: config.port,
    publicUrl: config.publicUrl,
    dataDir: config.dataDir,
    logLevel: config.logLevel,
    nodeId: config.nodeId,
    trustProxy: config.trustProxy,
    adminToken: config.adminToken === undefined ? undefined : REDACTED,
    apps: config.apps.map((app) => ({ appid: app.appid, secret: REDACTED })),
    wechat: defined({ apiUrl: config.wechatApiUrl, timeoutMs: config.wechatTimeoutMs }),
    session: {
      ttl: seconds(config.sessionTtlMs),
      idleTtl: seconds(config.sessionIdleTtlMs),
      single: config.singleSession,
      userDataMaxAge: seconds(config.userDataMaxAgeMs),
      cache:
        sessionStore.kind === 'sqlite'
          ? sessionStore.cacheEntries
          : sessionStore.kind === 'redis'
            ? sessionStore.localCacheEntries
            : undefined,
    },
    store: {
      kind: sessionStore.kind,
      url: redactUrl(sessionStore.kind === 'sqlite' ? sessionStore.file : sessionStore.url),
    },
    limits: {
      loginRatePerIp: config.loginRatePerIp,
      loginRatePerUser: config.loginRatePerUser,
      connectionsPerIp: config.connectionsPerIp,
    },
    auth: defined({ callers: config.authCallers?.join(',') }),
    tunnel: defined({
      signatureKey: REDACTED,
      heartbeat: config.tunnelHeartbeatSeconds,
      receiveHosts: config.tunnelReceiveHosts?.join(','),
      webhookRetryMs: config.webhookRetryDelaysMs,
      pendingTtl: seconds(t.pendingTtlMs),
      maxFrameBytes: t.maxPayload,
      maxBufferedBytes: t.maxBufferedBytes,
      maxTunnels: t.maxTunnels,
      maxPerUser: t.maxTunnelsPerOwner,
      recoveryWindow: seconds(t.recoveryWindowMs),
      recoveryMaxMessages: t.recoveryMaxMessages,
      roomsPerTunnel: t.roomsPerTunnel,
      pushBodyBytes: t.pushBodyBytes,
    }),
    broker:
      config.broker.kind === 'redis'
        ? { kind: 'redis', url: redactUrl(config.broker.url) }
        : { kind: 'local' },
    im: defined({
      store: {
        kind: config.im.store.kind,
        url: redactUrl(config.im.store.kind === 'sqlite' ? config.im.store.file : config.im.store.url),
      },
      idle: config.im.idleSeconds,
      singleDevice: config.im.singleDevice,
      maxDevices: config.im.maxDevicesPerUser,
      maxBufferedBytes: config.im.maxBufferedBytes,
      maxQueuedBytes: config.im.maxQueuedBytes,
      maxPendingAccepts: config.im.maxPendingAccepts,
      maxQueueWaitMs: config.im.maxQueueWaitMs,
      webhook: config.im.webhook && { ...config.im.webhook, url: redactUrl(config.im.webhook.url) },
    }),
    tls: config.tls,
    workers: config.workers,
    drain: { timeoutMs: config.drainTimeoutMs },
    startTimeoutMs: config.startTimeoutMs,
  });
}
