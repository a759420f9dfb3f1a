/**
 * Test fixtures: a real WeChat simulator on port 0 and a device that asks it for login codes and
 * user data over HTTP, the way a phone would.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { SessionStore } from '@hutong/core';
import { ManualClock } from '@hutong/core/testing';
import { createSimServer } from '@hutong/wechat-sim';
import { type AuthOptions, AuthService } from '../src/auth/auth-service.js';
import { HttpWeChatApi } from '../src/auth/wechat-api.js';
import { createSessionStore } from '../src/stores/index.js';

export const testApp = { appid: 'wx1111111111111111', secret: 'test-secret-1' };
/** A tunnel key `hutong start` accepts (32+ characters, not repetitive), for tests of the CLI. */
export const cliTunnelKey = 'test-tunnel-key-Vq8mZ2rT5xLw9pKc3nB7';
/**
 * Runs the `hutong` CLI from its sources with only PATH and `env` in its environment; resolves to
 * its exit status and output.
 */
export function runCli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(
    process.execPath,
    ['--conditions=hutong-src', '--import', 'tsx', 'packages/server/src/cli.ts', ...args],
    {
      cwd: new URL('../../../', import.meta.url).pathname,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
}

export const otherApp = { appid: 'wx2222222222222222', secret: 'test-secret-2' };

export interface UserDataReply {
  userInfo: Record<string, unknown>;
  rawData: string;
  signature: string;
  encryptedData: string;
  iv: string;
  encryptData: string;
}

export interface Sim {
  url: string;
  /** A fresh login code (a new user unless `openid` is given). */
  login(options?: { openid?: string; appid?: string }): Promise<{ code: string; openid: string }>;
  userInfo(
    code: string,
    options?: { appid?: string; userInfo?: Record<string, unknown> },
  ): Promise<UserDataReply>;
  phoneCode(openid: string, appid?: string): Promise<string>;
  close(): Promise<void>;
}

async function post<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`${url} → ${response.status} ${JSON.stringify(json)}`);
  return json;
}

export async function startSim(apps = [testApp, otherApp]): Promise<Sim> {
  const server = await createSimServer({ host: '127.0.0.1', port: 0, apps });
  const { url } = server;
  return {
    url,
    login: (options = {}) => post(`${url}/sim/login`, options),
    userInfo: (code, options = {}) => post(`${url}/sim/userinfo`, { code, ...options }),
    phoneCode: async (openid, appid) =>
      (await post<{ code: string }>(`${url}/sim/phonenumber`, { openid, appid })).code,
    close: () => server.close(),
  };
}

export interface AuthFixture {
  sim: Sim;
  store: SessionStore;
  auth: AuthService;
  /** The AuthService's clock: `clock.advance(ms)` moves it. */
  clock: ManualClock;
  close(): Promise<void>;
}

/** An AuthService on an in-memory SQLite store, talking HTTP to a fresh simulator. */
export async function startAuth(options: Partial<AuthOptions> = {}): Promise<AuthFixture> {
  const sim = await startSim();
  const store = options.store ?? createSessionStore({ kind: 'sqlite', file: ':memory:' });
  await store.init();
  const clock = new ManualClock();
  const auth = new AuthService({
    apps: [testApp, otherApp],
    store,
    wechat: new HttpWeChatApi({ baseUrl: sim.url, timeoutMs: 2000 }),
    now: clock.now,
    ...options,
  });
  return {
    sim,
    store,
    auth,
    clock,
    async close() {
      await store.close();
      await sim.close();
    },
  };
}

/**
 * The environment of a test node: port 0, in-memory stores, the test app, no logs; `extra` adds or
 * overrides keys. `loadConfig(testEnv())` is its configuration.
 */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0',
    HUTONG_STORE_URL: ':memory:',
    HUTONG_APPID: testApp.appid,
    HUTONG_APP_SECRET: testApp.secret,
    HUTONG_TUNNEL_SIGNATURE_KEY: 'k',
    HUTONG_LOG_LEVEL: 'silent',
    ...extra,
  };
}

/** A self-signed EC certificate and key for 127.0.0.1, valid a day, as files `<dir>/<name>.crt|.key`. */
export function makeCert(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/** The environment of a production start that passes every check: real-looking secrets, an in-memory store. */
export const productionEnv = {
  PORT: '0',
  HUTONG_STORE_URL: ':memory:',
  HUTONG_APPID: testApp.appid,
  HUTONG_APP_SECRET: 'a-production-app-secret-not-published',
  HUTONG_TUNNEL_SIGNATURE_KEY: cliTunnelKey,
  HUTONG_LOG_LEVEL: 'silent',
};
