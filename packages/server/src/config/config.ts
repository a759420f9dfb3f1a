import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { AppCredentials } from '@hutong/core';
import { addressList } from '../http/address-list.js';
import { imLimitDefaults } from '../im/im-limits.js';
import type { SessionStoreOptions } from '../stores/index.js';
import { tunnelHubDefaults } from '../tunnel/tunnel-hub-options.js';

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
  /** Proxies whose X-Forwarded-For is believed (comma-separated addresses or CIDRs). */
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

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

/** A value from `KEY`, or from the file named by `KEY_FILE` (for secrets). */
function read(env: Env, key: string): string | undefined {
  const file = env[`${key}_FILE`];
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      throw new ConfigError(`${key}_FILE`, `cannot read ${file}`);
    }
  }
  const value = env[key];
  return value === undefined || value === '' ? undefined : value;
}

function int(env: Env, key: string, fallback: number, min = 0): number {
  const raw = read(env, key);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new ConfigError(key, `expected an integer ≥ ${min}, got "${raw}"`);
  return value;
}

function bool(env: Env, key: string, fallback: boolean): boolean {
  const raw = read(env, key);
  if (raw === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(key, `expected true or false, got "${raw}"`);
}

/** `HUTONG_APPS=appid:secret,appid2:secret2`, or `HUTONG_APPID` + `HUTONG_APP_SECRET`. */
function apps(env: Env, fallback: AppCredentials[]): AppCredentials[] {
  const list = read(env, 'HUTONG_APPS');
  if (list) {
    return list.split(',').map((pair) => {
      const [appid, secret] = pair.split(':').map((part) => part.trim());
      if (!appid || !secret)
        throw new ConfigError('HUTONG_APPS', 'expected appid:secret pairs separated by commas');
      return { appid, secret };
    });
  }
  const appid = read(env, 'HUTONG_APPID');
  const secret = read(env, 'HUTONG_APP_SECRET');
  if (appid && secret) return [{ appid, secret }];
  if (appid || secret)
    throw new ConfigError(appid ? 'HUTONG_APP_SECRET' : 'HUTONG_APPID', 'set both or neither');
  if (fallback.length > 0) return fallback;
  throw new ConfigError('HUTONG_APPS', 'no mini program app configured (HUTONG_APPID and HUTONG_APP_SECRET)');
}

function store(env: Env, dataDir: string): SessionStoreOptions {
  const kind = read(env, 'HUTONG_STORE') ?? 'sqlite';
  const url = read(env, 'HUTONG_STORE_URL');
  switch (kind) {
    case 'sqlite':
      return {
        kind,
        file: url ?? resolve(dataDir, 'hutong.sqlite'),
        cacheEntries: int(env, 'HUTONG_SESSION_CACHE', 10_000),
      };
    case 'redis':
      return {
        kind,
        url: url ?? read(env, 'HUTONG_REDIS_URL') ?? 'redis://127.0.0.1:6379',
        localCacheEntries: int(env, 'HUTONG_SESSION_CACHE', 10_000),
      };
    case 'mysql':
    case 'postgres':
      if (!url) throw new ConfigError('HUTONG_STORE_URL', `required when HUTONG_STORE=${kind}`);
      return { kind, url };
    default:
      throw new ConfigError('HUTONG_STORE', `expected sqlite, redis, mysql or postgres, got "${kind}"`);
  }
}

/** The IM store: its own setting, else the session store's database, else a SQLite file. */
function imStore(env: Env, dataDir: string, sessions: SessionStoreOptions): HutongConfig['im']['store'] {
  const kind = read(env, 'HUTONG_IM_STORE');
  const url = read(env, 'HUTONG_IM_STORE_URL');
  if (kind === undefined) {
    if (sessions.kind === 'mysql' || sessions.kind === 'postgres')
      return { kind: sessions.kind, url: url ?? sessions.url };
    const memory = sessions.kind === 'sqlite' && sessions.file === ':memory:';
    return { kind: 'sqlite', file: url ?? (memory ? ':memory:' : resolve(dataDir, 'im.sqlite')) };
  }
  if (kind === 'sqlite') return { kind, file: url ?? resolve(dataDir, 'im.sqlite') };
  if (kind === 'mysql' || kind === 'postgres') {
    if (!url) throw new ConfigError('HUTONG_IM_STORE_URL', `required when HUTONG_IM_STORE=${kind}`);
    return { kind, url };
  }
  throw new ConfigError('HUTONG_IM_STORE', `expected sqlite, mysql or postgres, got "${kind}"`);
}

/** Certificate and key files, checked now (readable, PEM, a matching pair) so a bad pair stops the start. */
function tls(env: Env): HutongConfig['tls'] {
  const cert = read(env, 'HUTONG_TLS_CERT');
  const key = read(env, 'HUTONG_TLS_KEY');
  if (!cert && !key) return undefined;
  if (!cert || !key)
    throw new ConfigError(cert ? 'HUTONG_TLS_KEY' : 'HUTONG_TLS_CERT', 'set both or neither');
  loadTls({ cert, key });
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

function adminToken(env: Env): string | undefined {
  const token = read(env, 'HUTONG_ADMIN_TOKEN');
  if (token === undefined) return undefined;
  if (token.length < 16 || !/^[\x21-\x7e]+$/.test(token)) {
    throw new ConfigError(
      'HUTONG_ADMIN_TOKEN',
      'expected at least 16 printable ASCII characters without spaces (e.g. `openssl rand -hex 24`)',
    );
  }
  return token;
}

function imWebhook(env: Env): HutongConfig['im']['webhook'] {
  const url = read(env, 'HUTONG_IM_WEBHOOK_URL');
  if (!url) return undefined;
  if (!/^https?:\/\//.test(url))
    throw new ConfigError('HUTONG_IM_WEBHOOK_URL', `expected an http(s) URL, got "${url}"`);
  return {
    url,
    verify: bool(env, 'HUTONG_IM_WEBHOOK_VERIFY', false),
    filter: bool(env, 'HUTONG_IM_WEBHOOK_FILTER', false),
  };
}

function delays(env: Env, key: string, fallback: number[]): number[] {
  const raw = read(env, key);
  if (raw === undefined) return fallback;
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 0) || values.length > 10) {
    throw new ConfigError(key, `expected up to 10 comma-separated millisecond values, got "${raw}"`);
  }
  return values;
}

/** The non-empty entries of a comma-separated setting, trimmed; undefined when it is unset. */
function entriesOf(env: Env, key: string): string[] | undefined {
  const raw = read(env, key);
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/**
 * A comma-separated list of hosts (`biz.example.com`, `biz.example.com:8443`, `*.example.com`,
 * `10.0.0.5`, `[::1]`), lowercased.
 */
function hosts(env: Env, key: string): string[] | undefined {
  const entries = entriesOf(env, key)?.map((entry) => entry.toLowerCase());
  if (entries === undefined) return undefined;
  const bad = entries.find((entry) => !/^(\*\.)?(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(entry));
  if (bad !== undefined || entries.length === 0) {
    throw new ConfigError(key, `expected host names separated by commas, got "${bad ?? read(env, key)}"`);
  }
  return entries;
}

/** A comma-separated list of addresses and CIDR ranges, checked now. */
function addresses(env: Env, key: string): string[] | undefined {
  const entries = entriesOf(env, key);
  if (entries === undefined) return undefined;
  try {
    addressList(entries);
  } catch (error) {
    throw new ConfigError(key, `expected IP addresses or CIDR ranges: ${(error as Error).message}`);
  }
  return entries;
}

/** Tunnel limits from HUTONG_TUNNEL_*; each default is the hub's own (`tunnelHubDefaults`). */
function tunnelLimits(env: Env): TunnelLimits {
  const d = tunnelHubDefaults;
  return {
    pendingTtlMs: int(env, 'HUTONG_TUNNEL_PENDING_TTL', d.pendingTtlMs / 1000, 1) * 1000,
    maxPayload: int(env, 'HUTONG_TUNNEL_MAX_FRAME_BYTES', d.maxPayload, 1024),
    maxBufferedBytes: int(env, 'HUTONG_TUNNEL_MAX_BUFFERED_BYTES', d.maxBufferedBytes, 64 * 1024),
    maxTunnels: int(env, 'HUTONG_TUNNEL_MAX_TUNNELS', d.maxTunnels, 1),
    maxTunnelsPerOwner: int(env, 'HUTONG_TUNNEL_MAX_PER_USER', d.maxTunnelsPerOwner, 1),
    recoveryWindowMs: int(env, 'HUTONG_TUNNEL_RECOVERY_WINDOW', d.recoveryWindowMs / 1000, 1) * 1000,
    recoveryMaxMessages: int(env, 'HUTONG_TUNNEL_RECOVERY_MAX_MESSAGES', d.recoveryMaxMessages, 1),
    roomsPerTunnel: int(env, 'HUTONG_TUNNEL_ROOMS_PER_TUNNEL', d.roomsPerTunnel, 1),
    pushBodyBytes: int(env, 'HUTONG_TUNNEL_PUSH_BODY_BYTES', d.pushBodyBytes, 64 * 1024),
  };
}

function broker(env: Env): HutongConfig['broker'] {
  const kind = read(env, 'HUTONG_BROKER') ?? 'local';
  if (kind === 'local') return { kind };
  if (kind === 'redis') {
    return {
      kind,
      url: read(env, 'HUTONG_BROKER_URL') ?? read(env, 'HUTONG_REDIS_URL') ?? 'redis://127.0.0.1:6379',
    };
  }
  throw new ConfigError('HUTONG_BROKER', `expected local or redis, got "${kind}"`);
}

export interface ConfigDefaults {
  apps?: AppCredentials[];
  wechatApiUrl?: string;
  tunnelSignatureKey?: string;
}

export function loadConfig(env: Env = process.env, defaults: ConfigDefaults = {}): HutongConfig {
  const host = read(env, 'HOST') ?? '127.0.0.1';
  const port = int(env, 'PORT', 5757);
  const dataDir = resolve(read(env, 'HUTONG_DATA_DIR') ?? '.data');
  const tunnelSignatureKey = read(env, 'HUTONG_TUNNEL_SIGNATURE_KEY') ?? defaults.tunnelSignatureKey;
  if (!tunnelSignatureKey) throw new ConfigError('HUTONG_TUNNEL_SIGNATURE_KEY', 'required');
  const sessions = store(env, dataDir);
  return {
    host,
    port,
    publicUrl: (
      read(env, 'HUTONG_PUBLIC_URL') ??
      `${read(env, 'HUTONG_TLS_CERT') ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`
    ).replace(/\/+$/, ''),
    dataDir,
    store: sessions,
    apps: apps(env, defaults.apps ?? []),
    wechatApiUrl: read(env, 'HUTONG_WECHAT_API_URL') ?? defaults.wechatApiUrl,
    wechatTimeoutMs: int(env, 'HUTONG_WECHAT_TIMEOUT_MS', 5000, 1),
    sessionTtlMs: int(env, 'HUTONG_SESSION_TTL', 30 * 24 * 3600, 60) * 1000,
    sessionIdleTtlMs: int(env, 'HUTONG_SESSION_IDLE_TTL', 7 * 24 * 3600, 60) * 1000,
    singleSession: bool(env, 'HUTONG_SINGLE_SESSION', false),
    userDataMaxAgeMs: int(env, 'HUTONG_USER_DATA_MAX_AGE', 600, 1) * 1000,
    loginRatePerIp: int(env, 'HUTONG_LOGIN_RATE_PER_IP', 60),
    loginRatePerUser: int(env, 'HUTONG_LOGIN_RATE_PER_USER', 20),
    connectionsPerIp: int(env, 'HUTONG_CONNECTIONS_PER_IP', 1000),
    tunnelSignatureKey,
    tunnelHeartbeatSeconds: int(env, 'HUTONG_TUNNEL_HEARTBEAT', tunnelHubDefaults.heartbeatSeconds, 1),
    tunnelReceiveHosts: hosts(env, 'HUTONG_TUNNEL_RECEIVE_HOSTS'),
    tunnelLimits: tunnelLimits(env),
    webhookRetryDelaysMs: delays(env, 'HUTONG_WEBHOOK_RETRY_MS', [200, 1000, 3000]),
    broker: broker(env),
    nodeId: read(env, 'HUTONG_NODE_ID'),
    trustProxy: read(env, 'HUTONG_TRUST_PROXY'),
    authCallers: addresses(env, 'HUTONG_AUTH_CALLERS'),
    im: {
      store: imStore(env, dataDir, sessions),
      idleSeconds: int(env, 'HUTONG_IM_IDLE', 20, 3),
      singleDevice: bool(env, 'HUTONG_IM_SINGLE_DEVICE', false),
      maxDevicesPerUser: int(env, 'HUTONG_IM_MAX_DEVICES', 10, 1),
      maxBufferedBytes: int(env, 'HUTONG_IM_MAX_BUFFERED_BYTES', 1024 * 1024, 64 * 1024),
      maxQueuedBytes: int(env, 'HUTONG_IM_MAX_QUEUED_BYTES', imLimitDefaults.maxQueuedBytes, 64 * 1024),
      maxPendingAccepts: int(env, 'HUTONG_IM_MAX_PENDING_ACCEPTS', imLimitDefaults.maxPendingAccepts, 1),
      maxQueueWaitMs: int(env, 'HUTONG_IM_MAX_QUEUE_WAIT_MS', imLimitDefaults.maxQueueWaitMs, 10),
      webhook: imWebhook(env),
    },
    tls: tls(env),
    workers: int(env, 'HUTONG_WORKERS', 1, 1),
    drainTimeoutMs: int(env, 'HUTONG_DRAIN_TIMEOUT_MS', 10_000, 100),
    startTimeoutMs: int(env, 'HUTONG_START_TIMEOUT_MS', 60_000, 0),
    adminToken: adminToken(env),
    logLevel: read(env, 'HUTONG_LOG_LEVEL') ?? 'info',
  };
}
