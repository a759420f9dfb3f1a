/**
 * `HUTONG_SEED_CONFIG=<file>`: the seed 一笔到底 server's `config.js` (a CommonJS module, `.js` or
 * `.cjs`, or the same object as `.json`), read by the dev stack and mapped onto Hutong's settings:
 *
 * - `port` → `PORT`;
 * - `ROUTE_BASE_PATH` → the seed routes' `applet.basePath`;
 * - `appId` + `appSecret`, both non-empty → `HUTONG_APPID` + `HUTONG_APP_SECRET`, against real
 *   WeChat (`HUTONG_WECHAT_API_URL`); empty: the dev app on the simulator;
 * - `redisConfig` with a host → `HUTONG_STORE=redis` and its URL; `redisConfig.ttl` →
 *   `applet.ttlSeconds`;
 * - `mongoConfig`: an empty host keeps the default demo store; `url` (a Hutong extension) names a
 *   MySQL/MariaDB or PostgreSQL one; a host is a ConfigError (no MongoDB driver here).
 *
 * The environment wins over the file, one setting at a time: a setting from the file is dropped
 * when the environment sets any variable of it (an environment's HUTONG_STORE is never paired
 * with the file's store URL). Empty values count as unset, in the file and in the environment.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, extname, resolve } from 'node:path';
import { APPLET_BASE_PATH } from '@hutong/demos';
import { ConfigError } from '@hutong/server';

type Env = Record<string, string | undefined>;

export interface SeedSettings {
  /** The environment with the file's settings under it. */
  env: Env;
  /** For `registerDemos`: only the keys the file set. */
  applet: { basePath?: string; ttlSeconds?: number };
  /** The demos' store, when `mongoConfig.url` names one. */
  demoStore?: { kind: 'mysql' | 'postgres'; url: string };
}

/** The variables each seed setting maps to; any one set in the environment drops the setting. */
const groups = {
  port: ['PORT'],
  app: ['HUTONG_APPID', 'HUTONG_APP_SECRET', 'HUTONG_APP_SECRET_FILE', 'HUTONG_APPS'],
  store: ['HUTONG_STORE', 'HUTONG_STORE_URL', 'HUTONG_STORE_URL_FILE', 'HUTONG_REDIS_URL'],
} as const;

const AVAILABLE_STORES =
  'the drawings can be stored in SQLite (the default: leave mongoConfig.host empty), ' +
  'MySQL/MariaDB or PostgreSQL (set mongoConfig.url to a mysql:// or postgres:// URL), ' +
  'or your own DemoStore passed to registerDemos (docs/demos.md)';

const isSet = (value: unknown) => value !== undefined && value !== null && value !== '';

/** Reads the file: `.json` as JSON, `.js`/`.cjs` through `require` (fresh on every call). */
export async function readSeedFile(file: string): Promise<Record<string, unknown>> {
  const path = resolve(file);
  const fail = (why: string) => new ConfigError('HUTONG_SEED_CONFIG', `${path}: ${why}`);
  const ext = extname(path).toLowerCase();
  let value: unknown;
  if (ext === '.json') {
    try {
      value = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw fail(`cannot load: ${(error as Error).message}`);
    }
  } else if (ext === '.js' || ext === '.cjs') {
    const require = createRequire(import.meta.url);
    try {
      const id = require.resolve(path);
      try {
        value = require(id);
      } finally {
        delete require.cache[id];
      }
    } catch (error) {
      throw fail(`cannot load: ${(error as Error).message}`);
    }
  } else {
    throw fail('expected a .js or .cjs CommonJS module, or .json');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw fail('expected an object (module.exports = {port, ROUTE_BASE_PATH, …})');
  return value as Record<string, unknown>;
}

/** `file`'s settings over `env`; a ConfigError naming the file and the key for a bad value. */
export async function loadSeedConfig(file: string, env: Env): Promise<SeedSettings> {
  return seedSettings(await readSeedFile(file), basename(file), env);
}

type ErrorAt = (key: string, message: string) => ConfigError;

/** A whole number within [min, max], from a number or a string of digits; undefined when unset. */
function whole(at: ErrorAt, key: string, value: unknown, min: number, max: number): number | undefined {
  if (!isSet(value)) return undefined;
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max)
    throw at(key, `expected a whole number ${min}-${max}, got ${JSON.stringify(value)}`);
  return n;
}

function text(at: ErrorAt, key: string, value: unknown): string | undefined {
  if (!isSet(value)) return undefined;
  if (typeof value !== 'string') throw at(key, `expected a string, got ${JSON.stringify(value)}`);
  return value;
}

function object(at: ErrorAt, key: string, value: unknown): Record<string, unknown> | undefined {
  if (!isSet(value)) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw at(key, `expected an object, got ${JSON.stringify(value)}`);
  return value as Record<string, unknown>;
}

/** The mapping itself: `seed` (the file's object, named `source` in errors) over `env`. */
export function seedSettings(seed: Record<string, unknown>, source: string, env: Env): SeedSettings {
  const at: ErrorAt = (key, message) => new ConfigError(`${source}: ${key}`, message);
  const fromFile: Record<keyof typeof groups, Record<string, string>> = { port: {}, app: {}, store: {} };
  const applet: SeedSettings['applet'] = {};

  const port = whole(at, 'port', seed['port'], 0, 65_535);
  if (port !== undefined) fromFile.port['PORT'] = String(port);

  const base = seed['ROUTE_BASE_PATH'];
  if (base !== undefined) {
    if (typeof base !== 'string' || (base !== '' && !base.startsWith('/')))
      throw at('ROUTE_BASE_PATH', `expected a path starting with /, got ${JSON.stringify(base)}`);
    const basePath = base.replace(/\/+$/, '');
    if (!APPLET_BASE_PATH.test(basePath))
      throw at('ROUTE_BASE_PATH', `expected /segments of letters, digits, ., _, ~ and -, got "${base}"`);
    applet.basePath = basePath;
  }

  const appId = text(at, 'appId', seed['appId']);
  const appSecret = text(at, 'appSecret', seed['appSecret']);
  if ((appId === undefined) !== (appSecret === undefined))
    throw at(appId ? 'appSecret' : 'appId', 'set both appId and appSecret, or neither');
  if (appId && appSecret) {
    // A real app's login codes come from WeChat: the simulator cannot exchange them.
    fromFile.app = {
      HUTONG_APPID: appId,
      HUTONG_APP_SECRET: appSecret,
      HUTONG_WECHAT_API_URL: 'https://api.weixin.qq.com',
    };
  }

  const redis = object(at, 'redisConfig', seed['redisConfig']);
  if (redis) {
    const ttl = whole(at, 'redisConfig.ttl', redis['ttl'], 1, 365 * 24 * 3600);
    if (ttl !== undefined) applet.ttlSeconds = ttl;
    const url = redisUrl(redis, at);
    if (url) fromFile.store = { HUTONG_STORE: 'redis', HUTONG_STORE_URL: url };
  }

  const demoStore = mongoStore(object(at, 'mongoConfig', seed['mongoConfig']), at);

  const merged: Env = {};
  for (const [group, names] of Object.entries(groups) as [keyof typeof groups, readonly string[]][]) {
    if (!names.some((name) => isSet(env[name]))) Object.assign(merged, fromFile[group]);
  }
  for (const [key, value] of Object.entries(env)) if (isSet(value)) merged[key] = value;
  return { env: merged, applet, ...(demoStore ? { demoStore } : {}) };
}

/** `redis://[:password@]host:port[/db]` from the original's `{host, port, password, db}`; undefined without a host. */
function redisUrl(redis: Record<string, unknown>, at: ErrorAt): string | undefined {
  const host = text(at, 'redisConfig.host', redis['host']);
  if (host === undefined) return undefined;
  if (!/^[A-Za-z0-9.-]+$/.test(host) && !/^[0-9A-Fa-f:.]+$/.test(host))
    throw at('redisConfig.host', `expected a host name or address, got "${host}"`);
  const port = whole(at, 'redisConfig.port', redis['port'], 1, 65_535) ?? 6379;
  const password = text(at, 'redisConfig.password', redis['password']);
  const db = whole(at, 'redisConfig.db', redis['db'], 0, 255);
  const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  const address = host.includes(':') ? `[${host}]` : host;
  return `redis://${auth}${address}:${port}${db === undefined ? '' : `/${db}`}`;
}

/** The demos' store from `mongoConfig`: none (the default), a SQL URL, or a ConfigError. */
function mongoStore(mongo: Record<string, unknown> | undefined, at: ErrorAt): SeedSettings['demoStore'] {
  if (!mongo) return undefined;
  const url = text(at, 'mongoConfig.url', mongo['url']);
  if (url !== undefined) {
    if (/^mysql:\/\//i.test(url)) return { kind: 'mysql', url };
    if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url };
    throw at('mongoConfig.url', `expected a mysql:// or postgres:// URL; ${AVAILABLE_STORES}`);
  }
  if (isSet(mongo['host']))
    throw at('mongoConfig', `MongoDB is not available (no driver, not tested here); ${AVAILABLE_STORES}`);
  return undefined;
}
