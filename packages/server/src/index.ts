/**
 * `@hutong/server`'s public API: build a Hutong node from configuration (`createHutong`), the
 * configuration loaders, and the pieces an embedding application or a custom backend needs.
 * Drivers load only when configured: importing this module loads neither pg, mysql2 nor ioredis.
 * The seams' interfaces and helpers come from `@hutong/core`, re-exported here.
 */
export * from '@hutong/core';
export { type AuthOptions, AuthService, authDefaults, type SessionsEnded } from './auth/auth-service.js';
export { type RateLimit, RateLimiter } from './auth/rate-limiter.js';
export { type UserDataChecks, type VerifiedUserData, verifyUserData } from './auth/user-data.js';
export { HttpWeChatApi, type HttpWeChatApiOptions, wxErrorToHutong } from './auth/wechat-api.js';
export { LocalBroker, LocalBus } from './brokers/local-broker.js';
export { RedisBroker, type RedisBrokerOptions } from './brokers/redis-broker.js';
export { type ConfigDefaults, ConfigError, type HutongConfig, loadConfig } from './config/config.js';
export { ConfigErrors, type ConfigWarning } from './config/config-error.js';
export {
  checkConfigWithFile,
  configFileSchema,
  describeConfig,
  type FileConfigReport,
  loadConfigWithFile,
} from './config/config-file.js';
export { redactQuery, redactUrl } from './config/redact.js';
export {
  assertSafeSecrets,
  devApp,
  devTunnelSignatureKey,
  entropyBits,
  newSecret,
  secretRules,
  unsafeSecrets,
} from './config/secrets.js';
export { type CreateHutongOptions, createHutong, createLogger, type Hutong } from './hutong.js';
export { createMessageStore, type MessageStoreOptions } from './im/create-message-store.js';
export { IM_PATH, type ImHooks, ImHub, type ImHubOptions, type LoginVerdict } from './im/im-hub.js';
export type { ImWebhookOptions } from './im/im-webhook.js';
export type { ClusterStats, NodeSample } from './metrics/node-stats.js';
export { handleSignals } from './signals.js';
export { StartupError } from './startup.js';
export {
  createSessionStore,
  type DatabaseKind,
  type DatabaseOptions,
  openDatabase,
  RedisSessionStore,
  type SessionStoreOptions,
  SqliteSessionStore,
  SqlSessionStore,
  withMigrationLock,
} from './stores/index.js';
export { CONNECT_PATH, TunnelHub, type TunnelHubOptions, tunnelCloseCodes } from './tunnel/tunnel-hub.js';
export { TunnelRouter } from './tunnel/tunnel-router.js';
