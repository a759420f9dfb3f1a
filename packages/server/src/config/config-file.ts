/**
 * `hutong.config.json` (or `.ts`/`.js`/`.mjs` with a default export): the same settings as the
 * environment, nested. One table says where each file key lives in the environment; the file's
 * JSON Schema is built from it, and `loadConfig` checks the values, so a file and the environment
 * can never mean different things. The environment wins over the file.
 */
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decode } from '@hutong/protocol/schemas';
import { Kind, type TObject, type TSchema, Type } from '@sinclair/typebox';
import { type ConfigDefaults, ConfigError, type HutongConfig, loadConfig } from './config.js';
import { redactUrl } from './redact.js';

type Leaf = 'string' | 'integer' | 'boolean' | 'integers' | 'apps';

/** File key (dotted path) → [environment key, kind of value, what it is]. */
export const configKeys: Record<string, readonly [env: string, leaf: Leaf, doc: string]> = {
  host: ['HOST', 'string', 'address to listen on'],
  port: ['PORT', 'integer', 'port to listen on'],
  publicUrl: ['HUTONG_PUBLIC_URL', 'string', 'the address clients use (https://… behind TLS)'],
  dataDir: ['HUTONG_DATA_DIR', 'string', 'SQLite file location'],
  logLevel: ['HUTONG_LOG_LEVEL', 'string', 'pino level'],
  nodeId: ['HUTONG_NODE_ID', 'string', "this node's name in the cluster"],
  trustProxy: ['HUTONG_TRUST_PROXY', 'string', 'proxies whose X-Forwarded-* headers are believed'],
  'limits.connectionsPerIp': [
    'HUTONG_CONNECTIONS_PER_IP',
    'integer',
    'open WebSocket connections per client address (0 = no limit)',
  ],
  'auth.callers': [
    'HUTONG_AUTH_CALLERS',
    'string',
    'business servers (addresses, CIDRs) allowed to call the Wafer 1 auth API /auth',
  ],
  adminToken: ['HUTONG_ADMIN_TOKEN', 'string', 'bearer token for /metrics and /admin'],
  adminTokenFile: ['HUTONG_ADMIN_TOKEN_FILE', 'string', 'a file holding the admin token'],
  appid: ['HUTONG_APPID', 'string', "the mini program's appid"],
  appSecret: ['HUTONG_APP_SECRET', 'string', "the mini program's secret"],
  appSecretFile: ['HUTONG_APP_SECRET_FILE', 'string', 'a file holding the app secret'],
  apps: ['HUTONG_APPS', 'apps', 'several mini programs: [{appid, secret}], the first is the default'],
  'wechat.apiUrl': ['HUTONG_WECHAT_API_URL', 'string', 'WeChat server API base'],
  'wechat.timeoutMs': ['HUTONG_WECHAT_TIMEOUT_MS', 'integer', 'per WeChat call'],
  'session.ttl': ['HUTONG_SESSION_TTL', 'integer', 'absolute session lifetime, seconds'],
  'session.idleTtl': ['HUTONG_SESSION_IDLE_TTL', 'integer', 'idle lifetime, seconds'],
  'session.single': ['HUTONG_SINGLE_SESSION', 'boolean', "a new login ends the user's other sessions"],
  'session.userDataMaxAge': ['HUTONG_USER_DATA_MAX_AGE', 'integer', 'oldest accepted encryptedData, seconds'],
  'session.cache': ['HUTONG_SESSION_CACHE', 'integer', 'sessions kept decoded in process'],
  'store.kind': ['HUTONG_STORE', 'string', 'sqlite, redis, mysql or postgres'],
  'store.url': ['HUTONG_STORE_URL', 'string', 'store location'],
  'store.urlFile': [
    'HUTONG_STORE_URL_FILE',
    'string',
    'a file holding the store URL (it may carry a password)',
  ],
  redisUrl: ['HUTONG_REDIS_URL', 'string', 'Redis for the store and broker when their own URL is unset'],
  'limits.loginRatePerIp': ['HUTONG_LOGIN_RATE_PER_IP', 'integer', 'logins per address per minute'],
  'limits.loginRatePerUser': ['HUTONG_LOGIN_RATE_PER_USER', 'integer', 'logins per user per minute'],
  'tunnel.signatureKey': ['HUTONG_TUNNEL_SIGNATURE_KEY', 'string', 'Wafer tunnel signature key'],
  'tunnel.signatureKeyFile': [
    'HUTONG_TUNNEL_SIGNATURE_KEY_FILE',
    'string',
    'a file holding the signature key',
  ],
  'tunnel.heartbeat': ['HUTONG_TUNNEL_HEARTBEAT', 'integer', 'seconds, sent to clients as timeout:N'],
  'tunnel.receiveHosts': [
    'HUTONG_TUNNEL_RECEIVE_HOSTS',
    'string',
    'hosts tunnel events may be sent to (get/wsurl receiveUrl), comma-separated; unset: any',
  ],
  'tunnel.webhookRetryMs': ['HUTONG_WEBHOOK_RETRY_MS', 'integers', 'waits before each webhook retry'],
  'tunnel.pendingTtl': ['HUTONG_TUNNEL_PENDING_TTL', 'integer', 'seconds a tunnel waits for its socket'],
  'tunnel.maxFrameBytes': ['HUTONG_TUNNEL_MAX_FRAME_BYTES', 'integer', 'largest frame a client may send'],
  'tunnel.maxBufferedBytes': [
    'HUTONG_TUNNEL_MAX_BUFFERED_BYTES',
    'integer',
    'bytes queued for one socket before it is closed as a slow consumer (4008)',
  ],
  'tunnel.maxTunnels': ['HUTONG_TUNNEL_MAX_TUNNELS', 'integer', 'tunnels one node holds at most'],
  'tunnel.maxPerUser': ['HUTONG_TUNNEL_MAX_PER_USER', 'integer', 'tunnels one user may hold at once'],
  'tunnel.recoveryWindow': [
    'HUTONG_TUNNEL_RECOVERY_WINDOW',
    'integer',
    'seconds a dropped recoverable tunnel waits for its resume',
  ],
  'tunnel.recoveryMaxMessages': [
    'HUTONG_TUNNEL_RECOVERY_MAX_MESSAGES',
    'integer',
    'messages kept per recoverable tunnel',
  ],
  'tunnel.roomsPerTunnel': ['HUTONG_TUNNEL_ROOMS_PER_TUNNEL', 'integer', 'rooms one tunnel may be in'],
  'tunnel.pushBodyBytes': ['HUTONG_TUNNEL_PUSH_BODY_BYTES', 'integer', 'largest /tunnel/ws/push body'],
  'broker.kind': ['HUTONG_BROKER', 'string', 'local or redis'],
  'broker.url': ['HUTONG_BROKER_URL', 'string', "the broker's Redis"],
  'im.store.kind': ['HUTONG_IM_STORE', 'string', 'sqlite, mysql or postgres'],
  'im.store.url': ['HUTONG_IM_STORE_URL', 'string', 'IM store location'],
  'im.idle': ['HUTONG_IM_IDLE', 'integer', 'seconds an IM connection may be silent'],
  'im.maxDevices': ['HUTONG_IM_MAX_DEVICES', 'integer', 'devices of one user on one node (default 10)'],
  'im.maxBufferedBytes': [
    'HUTONG_IM_MAX_BUFFERED_BYTES',
    'integer',
    'bytes queued for one IM socket before it is closed as a slow consumer (default 1 MiB)',
  ],
  'im.maxQueuedBytes': [
    'HUTONG_IM_MAX_QUEUED_BYTES',
    'integer',
    'bytes of frames one IM connection may have waiting; more data gets 1504 (default 1 MiB)',
  ],
  'im.maxPendingAccepts': [
    'HUTONG_IM_MAX_PENDING_ACCEPTS',
    'integer',
    'IM messages waiting for the store on a node; more get 1504 (default 4096)',
  ],
  'im.maxQueueWaitMs': [
    'HUTONG_IM_MAX_QUEUE_WAIT_MS',
    'integer',
    'ms an IM data frame may wait for its turn on its connection; later it gets 1504 (default 1000)',
  ],
  'im.singleDevice': ['HUTONG_IM_SINGLE_DEVICE', 'boolean', 'one IM connection per user'],
  'im.webhook.url': ['HUTONG_IM_WEBHOOK_URL', 'string', "the business server's IM webhook"],
  'im.webhook.verify': ['HUTONG_IM_WEBHOOK_VERIFY', 'boolean', 'ask the webhook to verify IM logins'],
  'im.webhook.filter': ['HUTONG_IM_WEBHOOK_FILTER', 'boolean', 'ask the webhook to allow each message'],
  'tls.cert': ['HUTONG_TLS_CERT', 'string', 'PEM certificate chain file (HTTPS/WSS); reloaded on SIGHUP'],
  'tls.key': ['HUTONG_TLS_KEY', 'string', 'PEM private key file'],
  workers: ['HUTONG_WORKERS', 'integer', 'processes hutong start runs on this box, sharing the port'],
  'drain.timeoutMs': ['HUTONG_DRAIN_TIMEOUT_MS', 'integer', 'how long a SIGTERM drain may take before exit'],
  startTimeoutMs: [
    'HUTONG_START_TIMEOUT_MS',
    'integer',
    'how long start-up retries an unreachable database or Redis',
  ],
};

const leafSchema = (leaf: Leaf, description: string): TSchema => {
  switch (leaf) {
    case 'string':
      return Type.String({ description });
    case 'integer':
      return Type.Integer({ minimum: 0, description });
    case 'boolean':
      return Type.Boolean({ description });
    case 'integers':
      return Type.Array(Type.Integer({ minimum: 0 }), { maxItems: 10, description });
    case 'apps':
      return Type.Array(
        Type.Object({ appid: Type.String(), secret: Type.String() }, { additionalProperties: false }),
        { minItems: 1, description },
      );
  }
};

/** The file's schema, nested as the dotted keys say; unknown keys are refused. */
function buildSchema(): TObject {
  interface Node {
    [key: string]: Node | TSchema;
  }
  const tree: Node = {};
  for (const [path, [, leaf, doc]] of Object.entries(configKeys)) {
    const parts = path.split('.');
    let node = tree;
    for (const part of parts.slice(0, -1)) {
      node[part] ??= {};
      node = node[part] as Node;
    }
    node[parts.at(-1)!] = leafSchema(leaf, doc);
  }
  const toSchema = (node: Node): TObject =>
    Type.Partial(
      Type.Object(
        Object.fromEntries(
          Object.entries(node).map(([k, v]) => [k, Kind in v ? (v as TSchema) : toSchema(v as Node)]),
        ),
        { additionalProperties: false },
      ),
    );
  const schema = toSchema(tree);
  return Type.Object(
    { $schema: Type.Optional(Type.String()), ...schema.properties },
    {
      title: 'hutong.config.json',
      additionalProperties: false,
    },
  );
}

export const configFileSchema = buildSchema();

/** The file's values as environment variables, and which file key each came from. */
export function fileToEnv(
  value: unknown,
  source: string,
): { env: Record<string, string>; origin: Map<string, string> } {
  const checked = decode(configFileSchema, value);
  if (!checked.ok) {
    // "Invalid hutong.config.json at /session/ttl: Expected integer" → "session.ttl: Expected integer"
    const detail = checked.error.message.replace(/^Invalid hutong\.config\.json at \/?/, '');
    const [where, ...rest] = detail.split(': ');
    throw new ConfigError(`${source}: ${(where ?? '').replaceAll('/', '.') || '(top)'}`, rest.join(': '));
  }
  const env: Record<string, string> = {};
  const origin = new Map<string, string>();
  const walk = (node: Record<string, unknown>, prefix: string) => {
    for (const [key, child] of Object.entries(node)) {
      if (key === '$schema') continue;
      const path = prefix ? `${prefix}.${key}` : key;
      const entry = configKeys[path];
      if (!entry) {
        walk(child as Record<string, unknown>, path);
        continue;
      }
      const [name, leaf] = entry;
      env[name] =
        leaf === 'apps'
          ? (child as { appid: string; secret: string }[]).map((a) => `${a.appid}:${a.secret}`).join(',')
          : leaf === 'integers'
            ? (child as number[]).join(',')
            : String(child);
      origin.set(name, path);
    }
  };
  walk(checked.value as Record<string, unknown>, '');
  return { env, origin };
}

/** Reads a config file: JSON, or a module whose default export is the object. */
export async function readConfigFile(file: string): Promise<unknown> {
  const path = resolve(file);
  if (/\.json$/i.test(path)) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      throw new ConfigError(basename(path), `cannot read ${path}`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ConfigError(basename(path), `not JSON: ${(error as Error).message}`);
    }
  }
  try {
    const module = (await import(pathToFileURL(path).href)) as { default?: unknown };
    return module.default;
  } catch (error) {
    throw new ConfigError(basename(path), `cannot load: ${(error as Error).message}`);
  }
}

/**
 * The configuration from a file (optional) and the environment: the environment wins. An error
 * names the key where the value came from: `hutong.config.json: store.url (HUTONG_STORE_URL)`.
 */
export async function loadConfigWithFile(
  file: string | undefined,
  env: Record<string, string | undefined> = process.env,
  defaults: ConfigDefaults = {},
): Promise<HutongConfig> {
  if (!file) return loadConfig(env, defaults);
  const source = basename(file);
  const { env: fromFile, origin } = fileToEnv(await readConfigFile(file), source);
  const merged: Record<string, string | undefined> = { ...fromFile };
  for (const [key, value] of Object.entries(env))
    if (value !== undefined && value !== '') merged[key] = value;
  try {
    return loadConfig(merged, defaults);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const base = error.key.replace(/_FILE$/, '');
    const fromFileKey = origin.get(error.key) ?? origin.get(base);
    const overridden = env[error.key] !== undefined && env[error.key] !== '';
    if (!fromFileKey || overridden) throw error;
    throw new ConfigError(
      `${source}: ${fromFileKey} (${error.key})`,
      error.message.slice(error.key.length + 2),
    );
  }
}

/** The configuration as `hutong config check` prints it: secrets and every URL credential replaced. */
export function describeConfig(config: HutongConfig): Record<string, unknown> {
  const copy = structuredClone(config) as HutongConfig & Record<string, unknown>;
  copy.apps = config.apps.map((app) => ({ appid: app.appid, secret: '[redacted]' }));
  copy.tunnelSignatureKey = '[redacted]';
  if (config.adminToken) copy.adminToken = '[redacted]';
  for (const holder of [copy.store, copy.broker, copy.im.store, copy.im.webhook ?? {}] as {
    url?: unknown;
  }[]) {
    if (typeof holder.url === 'string') holder.url = redactUrl(holder.url);
  }
  return copy;
}
