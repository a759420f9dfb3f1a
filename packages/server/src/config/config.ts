import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { AppCredentials } from '@hutong/core';
import { addressList } from '../http/address-list.js';
import { imLimitDefaults } from '../im/im-limits.js';
import type { SessionStoreOptions } from '../stores/index.js';
import { tunnelHubDefaults } from '../tunnel/tunnel-hub-options.js';
import { ConfigError, type ConfigWarning, throwIfAny } from './config-error.js';
import { type Env, EnvReader } from './env-reader.js';
import { publicUrl, trustProxy, warnPlainHttp } from './network.js';
import { checkSqlitePath, checkUrl } from './urls.js';

export { ConfigError, ConfigErrors, type ConfigWarning } from './config-error.js';

/** Tunnel limits (HUTONG_TUNNEL_*), as the hub takes them; defaults: `tunnelHubDefaults`. */
export interface TunnelLimits {
  /** A tunnel never connected is forgotten after this long, ms. */
  pendingTtlMs: number;
  /** Largest frame a client may send, bytes. */
  maxPayload: number;
  /** Bytes queued for one socket before it is closed as a slow consumer (4008). */
  maxBufferedBytes: number;
  /** Tunnels (pending and open) one node holds at most. */
  maxTunnels: number;
  /** Tunnels one user may hold at once (allocations that name the user). */
  maxTunnelsPerOwner: number;
  /** How long a recoverable tunnel waits for its client to resume, and keeps what it was sent, ms. */
  recoveryWindowMs: number;
  /** Messages kept per recoverable tunnel at most. */
  recoveryMaxMessages: number;
  /** Rooms one tunnel may be in. */
  roomsPerTunnel: number;
  /** Largest `POST /tunnel/ws/push` body, bytes. */
  pushBodyBytes: number;
}

/** Everything the server reads from its environment. `docs/configuration.md` lists each key. */
export interface HutongConfig {
  host: string;
  port: number;
  /** Where clients reach this server (connect URLs, docs); defaults to http://host:port. */
  publicUrl: string;
  dataDir: string;
  store: SessionStoreOptions;
  apps: AppCredentials[];
  /** WeChat API base URL; unset means real WeChat, the dev stack points it at its simulator. */
  wechatApiUrl: string | undefined;
  wechatTimeoutMs: number;
  sessionTtlMs: number;
  sessionIdleTtlMs: number;
  singleSession: boolean;
  userDataMaxAgeMs: number;
  loginRatePerIp: number;
  loginRatePerUser: number;
  /** Open WebSocket connections (tunnel + IM) per client address; 0: no limit. */
  connectionsPerIp: number;
  tunnelSignatureKey: string;
  /** Cross-node routing: in-process (one node) or Redis pub/sub (a cluster). */
  broker: { kind: 'local' } | { kind: 'redis'; url: string };
  /** This node's name in the cluster; random when unset. */
  nodeId: string | undefined;
  /** Waits before each webhook retry, ms; its length is the number of retries. */
  webhookRetryDelaysMs: number[];
  /** Heartbeat period sent to tunnel clients as `timeout:N`, seconds. */
  tunnelHeartbeatSeconds: number;
  /** The hosts tunnel events may be POSTed to (`receiveUrl` of `get/wsurl`); unset: any host. */
  tunnelReceiveHosts: string[] | undefined;
  tunnelLimits: TunnelLimits;
  /** Proxies whose X-Forwarded-For is believed (comma-separated addresses, CIDRs, proxy-addr keywords). */
  trustProxy: string | undefined;
  /** Business servers allowed to call the Wafer 1 auth API `/auth`; unset: any caller. */
  authCallers: string[] | undefined;
  im: {
    /** Where IM messages live: a SQLite file (default), or MySQL/PostgreSQL. */
    store: { kind: 'sqlite'; file: string } | { kind: 'mysql' | 'postgres'; url: string };
    /** A connection silent this long is closed, seconds (MobileIMSDK's default 20). */
    idleSeconds: number;
    /** One connection per user (MobileIMSDK's rule) instead of one per device. */
    singleDevice: boolean;
    /** Devices of one user connected to one node; one more is refused with 1028. */
    maxDevicesPerUser: number;
    /** Bytes queued for one IM socket before it is closed as a slow consumer (4008). */
    maxBufferedBytes: number;
    /** Bytes of frames one IM connection may have waiting their turn; more data gets 1504. */
    maxQueuedBytes: number;
    /** IM messages waiting for the store on this node; more get 1504 (backpressure). */
    maxPendingAccepts: number;
    /** Milliseconds an IM data frame may wait for its turn on its connection; later it gets 1504. */
    maxQueueWaitMs: number;
    /** The business server's IM webhook (split mode), and which answers Hutong waits for. */
    webhook: { url: string; verify: boolean; filter: boolean } | undefined;
  };
  /** HTTPS/WSS: PEM files, read at start and again on SIGHUP. Unset: plain HTTP (behind a proxy). */
  tls: { cert: string; key: string } | undefined;
  /** Processes `hutong start` runs, sharing the port (1: this process alone). */
  workers: number;
  /** How long a SIGTERM drain may take before the process exits anyway, ms. */
  drainTimeoutMs: number;
  /** How long start-up waits for an unreachable database or Redis, retrying, ms. */
  startTimeoutMs: number;
  /** Bearer token for `/metrics` and the `/admin` dashboard; unset means neither exists. */
  adminToken: string | undefined;
  logLevel: string;
}

/** `HUTONG_APPS=appid:secret,appid2:secret2`, or `HUTONG_APPID` + `HUTONG_APP_SECRET`. */
function apps(r: EnvReader, fallback: AppCredentials[]): AppCredentials[] {
  const list = r.read('HUTONG_APPS');
  if (list) {
    const pairs = list.split(',').map((pair) => pair.split(':').map((part) => part.trim()));
    if (pairs.some(([appid, secret]) => !appid || !secret)) {
      r.fail('HUTONG_APPS', 'expected appid:secret pairs separated by commas');
      return [];
    }
    return pairs.map(([appid, secret]) => ({ appid: appid!, secret: secret! }));
  }
  const appid = r.read('HUTONG_APPID');
  const secret = r.read('HUTONG_APP_SECRET');
  if (appid && secret) return [{ appid, secret }];
  if (appid || secret) {
    r.fail(appid ? 'HUTONG_APP_SECRET' : 'HUTONG_APPID', 'set both or neither');
    return [];
  }
  if (fallback.length > 0) return fallback;
  r.fail('HUTONG_APPS', 'no mini program app configured (HUTONG_APPID and HUTONG_APP_SECRET)');
  return [];
}

/** A SQL or Redis URL checked against the store's kind; SQLite takes a file path. */
function storeUrl(r: EnvReader, key: string, kindKey: string, kind: string, url: string): string {
  const checked =
    kind === 'sqlite'
      ? checkSqlitePath(r, key, url, kindKey)
      : checkUrl(r, key, url, kind === 'redis' ? 'redis' : kind === 'mysql' ? 'mysql' : 'postgres');
  return checked ?? url;
}

function redisUrl(r: EnvReader, key: string): string | undefined {
  const url = r.read(key);
  return url === undefined ? undefined : (checkUrl(r, key, url, 'redis') ?? url);
}

function store(r: EnvReader, dataDir: string): SessionStoreOptions {
  const kind = r.read('HUTONG_STORE') ?? 'sqlite';
  const raw = r.read('HUTONG_STORE_URL');
  const url = raw === undefined ? undefined : storeUrl(r, 'HUTONG_STORE_URL', 'HUTONG_STORE', kind, raw);
  const cache = () => r.int('HUTONG_SESSION_CACHE', 10_000);
  switch (kind) {
    case 'sqlite':
      return { kind, file: url ?? resolve(dataDir, 'hutong.sqlite'), cacheEntries: cache() };
    case 'redis':
      return {
        kind,
        url: url ?? redisUrl(r, 'HUTONG_REDIS_URL') ?? 'redis://127.0.0.1:6379',
        localCacheEntries: cache(),
      };
    case 'mysql':
    case 'postgres':
      if (!url) r.fail('HUTONG_STORE_URL', `required when HUTONG_STORE=${kind}`);
      return { kind, url: url ?? '' };
    default:
      r.fail('HUTONG_STORE', `expected sqlite, redis, mysql or postgres, got "${kind}"`);
      return { kind: 'sqlite', file: ':memory:' };
  }
}

/** The IM store: its own setting, else the session store's database, else a SQLite file. */
function imStore(r: EnvReader, dataDir: string, sessions: SessionStoreOptions): HutongConfig['im']['store'] {
  const kind = r.read('HUTONG_IM_STORE');
  const raw = r.read('HUTONG_IM_STORE_URL');
  const effective =
    kind ?? (sessions.kind === 'mysql' || sessions.kind === 'postgres' ? sessions.kind : 'sqlite');
  const url =
    raw === undefined ? undefined : storeUrl(r, 'HUTONG_IM_STORE_URL', 'HUTONG_IM_STORE', effective, raw);
  if (kind === undefined) {
    if (sessions.kind === 'mysql' || sessions.kind === 'postgres')
      return { kind: sessions.kind, url: url ?? sessions.url };
    const memory = sessions.kind === 'sqlite' && sessions.file === ':memory:';
    return { kind: 'sqlite', file: url ?? (memory ? ':memory:' : resolve(dataDir, 'im.sqlite')) };
  }
  if (kind === 'sqlite') return { kind, file: url ?? resolve(dataDir, 'im.sqlite') };
  if (kind === 'mysql' || kind === 'postgres') {
    if (!url) r.fail('HUTONG_IM_STORE_URL', `required when HUTONG_IM_STORE=${kind}`);
    return { kind, url: url ?? '' };
  }
  r.fail('HUTONG_IM_STORE', `expected sqlite, mysql or postgres, got "${kind}"`);
  return { kind: 'sqlite', file: ':memory:' };
}

/** Certificate and key files, checked now (readable, PEM, a matching pair) so a bad pair stops the start. */
function tls(r: EnvReader): HutongConfig['tls'] {
  const cert = r.read('HUTONG_TLS_CERT');
  const key = r.read('HUTONG_TLS_KEY');
  if (!cert && !key) return undefined;
  if (!cert || !key) {
    r.fail(cert ? 'HUTONG_TLS_KEY' : 'HUTONG_TLS_CERT', 'set both or neither');
    return undefined;
  }
  r.attempt(() => loadTls({ cert, key }), undefined);
  return { cert: resolve(cert), key: resolve(key) };
}

/** The PEM contents of a TLS pair, or a ConfigError naming what is wrong. */
export function loadTls(files: { cert: string; key: string }): { cert: Buffer; key: Buffer } {
  const load = (name: string, path: string) => {
    try {
      return readFileSync(path);
    } catch {
      throw new ConfigError(name, `cannot read ${path}`);
    }
  };
  const pair = { cert: load('HUTONG_TLS_CERT', files.cert), key: load('HUTONG_TLS_KEY', files.key) };
  try {
    createSecureContext(pair);
  } catch (error) {
    const reason = (error as Error).message;
    const name =
      /key/i.test(reason) && !/values mismatch/i.test(reason) ? 'HUTONG_TLS_KEY' : 'HUTONG_TLS_CERT';
    throw new ConfigError(name, `not a usable certificate and key (${reason})`);
  }
  return pair;
}

function adminToken(r: EnvReader): string | undefined {
  const token = r.read('HUTONG_ADMIN_TOKEN');
  if (token === undefined) return undefined;
  if (token.length < 16 || !/^[\x21-\x7e]+$/.test(token)) {
    return r.fail(
      'HUTONG_ADMIN_TOKEN',
      'expected at least 16 printable ASCII characters without spaces (e.g. `openssl rand -hex 24`)',
    );
  }
  return token;
}

function imWebhook(r: EnvReader): HutongConfig['im']['webhook'] {
  const raw = r.read('HUTONG_IM_WEBHOOK_URL');
  const verify = r.bool('HUTONG_IM_WEBHOOK_VERIFY', false);
  const filter = r.bool('HUTONG_IM_WEBHOOK_FILTER', false);
  if (!raw) return undefined;
  const url = checkUrl(r, 'HUTONG_IM_WEBHOOK_URL', raw, 'http');
  return url === undefined ? undefined : { url, verify, filter };
}

function delays(r: EnvReader, key: string, fallback: number[]): number[] {
  const raw = r.read(key);
  if (raw === undefined) return fallback;
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 0) || values.length > 10) {
    r.fail(key, `expected up to 10 comma-separated millisecond values, got "${raw}"`);
    return fallback;
  }
  return values;
}

/**
 * A comma-separated list of hosts (`biz.example.com`, `biz.example.com:8443`, `*.example.com`,
 * `10.0.0.5`, `[::1]`), lowercased.
 */
function hosts(r: EnvReader, key: string): string[] | undefined {
  const entries = r.entries(key)?.map((entry) => entry.toLowerCase());
  if (entries === undefined) return undefined;
  const bad = entries.find((entry) => !/^(\*\.)?(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(entry));
  if (bad !== undefined || entries.length === 0)
    return r.fail(key, `expected host names separated by commas, got "${bad ?? r.read(key)}"`);
  return entries;
}

/** A comma-separated list of addresses and CIDR ranges, checked now. */
function addresses(r: EnvReader, key: string): string[] | undefined {
  const entries = r.entries(key);
  if (entries === undefined) return undefined;
  try {
    addressList(entries);
  } catch (error) {
    return r.fail(key, `expected IP addresses or CIDR ranges: ${(error as Error).message}`);
  }
  return entries;
}

/** Tunnel limits from HUTONG_TUNNEL_*; each default is the hub's own (`tunnelHubDefaults`). */
function tunnelLimits(r: EnvReader): TunnelLimits {
  const d = tunnelHubDefaults;
  return {
    pendingTtlMs: r.int('HUTONG_TUNNEL_PENDING_TTL', d.pendingTtlMs / 1000, 1) * 1000,
    maxPayload: r.int('HUTONG_TUNNEL_MAX_FRAME_BYTES', d.maxPayload, 1024),
    maxBufferedBytes: r.int('HUTONG_TUNNEL_MAX_BUFFERED_BYTES', d.maxBufferedBytes, 64 * 1024),
    maxTunnels: r.int('HUTONG_TUNNEL_MAX_TUNNELS', d.maxTunnels, 1),
    maxTunnelsPerOwner: r.int('HUTONG_TUNNEL_MAX_PER_USER', d.maxTunnelsPerOwner, 1),
    recoveryWindowMs: r.int('HUTONG_TUNNEL_RECOVERY_WINDOW', d.recoveryWindowMs / 1000, 1) * 1000,
    recoveryMaxMessages: r.int('HUTONG_TUNNEL_RECOVERY_MAX_MESSAGES', d.recoveryMaxMessages, 1),
    roomsPerTunnel: r.int('HUTONG_TUNNEL_ROOMS_PER_TUNNEL', d.roomsPerTunnel, 1),
    pushBodyBytes: r.int('HUTONG_TUNNEL_PUSH_BODY_BYTES', d.pushBodyBytes, 64 * 1024),
  };
}

function broker(r: EnvReader): HutongConfig['broker'] {
  const kind = r.read('HUTONG_BROKER') ?? 'local';
  const url = redisUrl(r, 'HUTONG_BROKER_URL');
  if (kind === 'local') return { kind };
  if (kind === 'redis')
    return { kind, url: url ?? redisUrl(r, 'HUTONG_REDIS_URL') ?? 'redis://127.0.0.1:6379' };
  r.fail('HUTONG_BROKER', `expected local or redis, got "${kind}"`);
  return { kind: 'local' };
}

export interface ConfigDefaults {
  apps?: AppCredentials[];
  wechatApiUrl?: string;
  tunnelSignatureKey?: string;
}

/** A loaded configuration with every problem found: `config` is usable only when `errors` is empty. */
export interface ConfigReport {
  config: HutongConfig;
  errors: ConfigError[];
  warnings: ConfigWarning[];
}

/** The configuration, reading every setting whatever fails, so that all errors are reported at once. */
export function checkEnv(env: Env = process.env, defaults: ConfigDefaults = {}): ConfigReport {
  const r = new EnvReader(env);
  const host = r.read('HOST') ?? '127.0.0.1';
  const port = r.int('PORT', 5757);
  const dataDir = resolve(r.read('HUTONG_DATA_DIR') ?? '.data');
  const tunnelSignatureKey = r.read('HUTONG_TUNNEL_SIGNATURE_KEY') ?? defaults.tunnelSignatureKey;
  if (!tunnelSignatureKey) r.fail('HUTONG_TUNNEL_SIGNATURE_KEY', 'required');
  const sessions = store(r, dataDir);
  const tlsFiles = tls(r);
  const wechatApiUrl = r.read('HUTONG_WECHAT_API_URL');
  if (wechatApiUrl !== undefined) checkUrl(r, 'HUTONG_WECHAT_API_URL', wechatApiUrl, 'http');
  warnPlainHttp(r, host, tlsFiles !== undefined || r.read('HUTONG_TLS_CERT') !== undefined);
  const config: HutongConfig = {
    host,
    port,
    publicUrl: publicUrl(r, host, port, r.read('HUTONG_TLS_CERT') !== undefined),
    dataDir,
    store: sessions,
    apps: apps(r, defaults.apps ?? []),
    wechatApiUrl: wechatApiUrl ?? defaults.wechatApiUrl,
    wechatTimeoutMs: r.int('HUTONG_WECHAT_TIMEOUT_MS', 5000, 1),
    sessionTtlMs: r.int('HUTONG_SESSION_TTL', 30 * 24 * 3600, 60) * 1000,
    sessionIdleTtlMs: r.int('HUTONG_SESSION_IDLE_TTL', 7 * 24 * 3600, 60) * 1000,
    singleSession: r.bool('HUTONG_SINGLE_SESSION', false),
    userDataMaxAgeMs: r.int('HUTONG_USER_DATA_MAX_AGE', 600, 1) * 1000,
    loginRatePerIp: r.int('HUTONG_LOGIN_RATE_PER_IP', 60),
    loginRatePerUser: r.int('HUTONG_LOGIN_RATE_PER_USER', 20),
    connectionsPerIp: r.int('HUTONG_CONNECTIONS_PER_IP', 1000),
    tunnelSignatureKey: tunnelSignatureKey ?? '',
    tunnelHeartbeatSeconds: r.int('HUTONG_TUNNEL_HEARTBEAT', tunnelHubDefaults.heartbeatSeconds, 1),
    tunnelReceiveHosts: hosts(r, 'HUTONG_TUNNEL_RECEIVE_HOSTS'),
    tunnelLimits: tunnelLimits(r),
    webhookRetryDelaysMs: delays(r, 'HUTONG_WEBHOOK_RETRY_MS', [200, 1000, 3000]),
    broker: broker(r),
    nodeId: r.read('HUTONG_NODE_ID'),
    trustProxy: trustProxy(r, 'HUTONG_TRUST_PROXY'),
    authCallers: addresses(r, 'HUTONG_AUTH_CALLERS'),
    im: {
      store: imStore(r, dataDir, sessions),
      idleSeconds: r.int('HUTONG_IM_IDLE', 20, 3),
      singleDevice: r.bool('HUTONG_IM_SINGLE_DEVICE', false),
      maxDevicesPerUser: r.int('HUTONG_IM_MAX_DEVICES', 10, 1),
      maxBufferedBytes: r.int('HUTONG_IM_MAX_BUFFERED_BYTES', 1024 * 1024, 64 * 1024),
      maxQueuedBytes: r.int('HUTONG_IM_MAX_QUEUED_BYTES', imLimitDefaults.maxQueuedBytes, 64 * 1024),
      maxPendingAccepts: r.int('HUTONG_IM_MAX_PENDING_ACCEPTS', imLimitDefaults.maxPendingAccepts, 1),
      maxQueueWaitMs: r.int('HUTONG_IM_MAX_QUEUE_WAIT_MS', imLimitDefaults.maxQueueWaitMs, 10),
      webhook: imWebhook(r),
    },
    tls: tlsFiles,
    workers: r.int('HUTONG_WORKERS', 1, 1),
    drainTimeoutMs: r.int('HUTONG_DRAIN_TIMEOUT_MS', 10_000, 100),
    startTimeoutMs: r.int('HUTONG_START_TIMEOUT_MS', 60_000, 0),
    adminToken: adminToken(r),
    logLevel: r.read('HUTONG_LOG_LEVEL') ?? 'info',
  };
  return { config, errors: r.errors, warnings: r.warnings };
}

/**
 * The configuration from `env`, or a ConfigError: the one problem, or a ConfigErrors listing
 * every problem found (its `key` is the first's).
 */
export function loadConfig(env: Env = process.env, defaults: ConfigDefaults = {}): HutongConfig {
  const { config, errors } = checkEnv(env, defaults);
  throwIfAny(errors);
  return config;
}
