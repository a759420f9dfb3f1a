/**
 * The config file's keys: one table says where each file key lives in the environment and what
 * kind of value it takes. The file's JSON Schema, its checks, error messages (which name both the
 * file key and the variable) and the printed configuration all come from it.
 */

export type Leaf = 'string' | 'integer' | 'boolean' | 'integers' | 'apps';

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

/** The file key of each environment variable (`HUTONG_SESSION_TTL` → `session.ttl`). */
export const fileKeyOf: ReadonlyMap<string, string> = new Map(
  Object.entries(configKeys).map(([path, [env]]) => [env, path]),
);

/** `session.ttl (HUTONG_SESSION_TTL)`: how messages name a setting; the variable alone when it has no file key. */
export function settingName(env: string): string {
  const path = fileKeyOf.get(env);
  return path ? `${path} (${env})` : env;
}
