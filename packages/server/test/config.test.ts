import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { imLimitDefaults } from '../src/im/im-limits.js';

const base = { HUTONG_APPID: 'wx1', HUTONG_APP_SECRET: 's1', HUTONG_TUNNEL_SIGNATURE_KEY: 'k' };

test('defaults: port 5757 on 127.0.0.1, SQLite in the data dir, real WeChat, documented lifetimes', () => {
  const config = loadConfig({ ...base, HUTONG_DATA_DIR: '/tmp/hutong-x' });
  assert.equal(config.port, 5757);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.publicUrl, 'http://127.0.0.1:5757');
  assert.deepEqual(config.store, {
    kind: 'sqlite',
    file: '/tmp/hutong-x/hutong.sqlite',
    cacheEntries: 10_000,
  });
  assert.equal(config.wechatApiUrl, undefined);
  assert.equal(config.sessionTtlMs, 30 * 24 * 3600_000);
  assert.equal(config.sessionIdleTtlMs, 7 * 24 * 3600_000);
  assert.equal(config.singleSession, false);
  assert.deepEqual(config.apps, [{ appid: 'wx1', secret: 's1' }]);
});

test('stores, several apps, booleans, secrets from files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hutong-config-'));
  writeFileSync(join(dir, 'secret'), 'from-file\n');
  const config = loadConfig({
    HUTONG_APPS: 'wxA:sa, wxB:sb',
    HUTONG_TUNNEL_SIGNATURE_KEY_FILE: join(dir, 'secret'),
    HUTONG_STORE: 'postgres',
    HUTONG_STORE_URL: 'postgres://u@h/db',
    HUTONG_SINGLE_SESSION: 'yes',
    HUTONG_SESSION_CACHE: '0',
  });
  assert.deepEqual(config.apps, [
    { appid: 'wxA', secret: 'sa' },
    { appid: 'wxB', secret: 'sb' },
  ]);
  assert.equal(config.tunnelSignatureKey, 'from-file');
  assert.deepEqual(config.store, { kind: 'postgres', url: 'postgres://u@h/db' });
  assert.equal(config.singleSession, true);
  assert.deepEqual(loadConfig({ ...base, HUTONG_STORE: 'redis', HUTONG_SESSION_CACHE: '0' }).store, {
    kind: 'redis',
    url: 'redis://127.0.0.1:6379',
    localCacheEntries: 0,
  });
});

test('business-server addresses for /auth and tunnel receive hosts are lists, checked at load', () => {
  const config = loadConfig({
    ...base,
    HUTONG_AUTH_CALLERS: '10.0.0.5, 10.1.0.0/16,::1',
    HUTONG_TUNNEL_RECEIVE_HOSTS: 'Biz.Example.com, *.internal.example.com,10.0.0.7:8443',
  });
  assert.deepEqual(config.authCallers, ['10.0.0.5', '10.1.0.0/16', '::1']);
  assert.deepEqual(config.tunnelReceiveHosts, ['biz.example.com', '*.internal.example.com', '10.0.0.7:8443']);
  const open = loadConfig(base);
  assert.equal(open.authCallers, undefined);
  assert.equal(open.tunnelReceiveHosts, undefined);
});

test('bad values are refused with the key named', () => {
  const cases: [Record<string, string>, string][] = [
    [{ ...base, PORT: 'eighty' }, 'PORT'],
    [{ ...base, PORT: '-1' }, 'PORT'],
    [{ ...base, HUTONG_STORE: 'mongo' }, 'HUTONG_STORE'],
    [{ ...base, HUTONG_STORE: 'mysql' }, 'HUTONG_STORE_URL'],
    [{ ...base, HUTONG_SINGLE_SESSION: 'maybe' }, 'HUTONG_SINGLE_SESSION'],
    [{ ...base, HUTONG_SESSION_TTL: '5' }, 'HUTONG_SESSION_TTL'],
    [{ HUTONG_APPID: 'wx1', HUTONG_TUNNEL_SIGNATURE_KEY: 'k' }, 'HUTONG_APP_SECRET'],
    [{ HUTONG_TUNNEL_SIGNATURE_KEY: 'k' }, 'HUTONG_APPS'],
    [{ ...base, HUTONG_APPS: 'nocolon' }, 'HUTONG_APPS'],
    [{ HUTONG_APPID: 'wx1', HUTONG_APP_SECRET: 's' }, 'HUTONG_TUNNEL_SIGNATURE_KEY'],
    [
      {
        HUTONG_APPID: 'wx1',
        HUTONG_APP_SECRET_FILE: '/nonexistent/secret',
        HUTONG_TUNNEL_SIGNATURE_KEY: 'k',
      },
      'HUTONG_APP_SECRET_FILE',
    ],
    [{ ...base, HUTONG_AUTH_CALLERS: '10.0.0.1, nginx' }, 'HUTONG_AUTH_CALLERS'],
    [{ ...base, HUTONG_AUTH_CALLERS: '10.0.0.0/33' }, 'HUTONG_AUTH_CALLERS'],
    [{ ...base, HUTONG_TUNNEL_RECEIVE_HOSTS: 'https://biz.example.com/' }, 'HUTONG_TUNNEL_RECEIVE_HOSTS'],
    [{ ...base, HUTONG_TUNNEL_RECEIVE_HOSTS: ' , ' }, 'HUTONG_TUNNEL_RECEIVE_HOSTS'],
  ];
  for (const [env, key] of cases) {
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => error instanceof ConfigError && error.key === key,
      key,
    );
  }
});

test('a ConfigError about a secret-bearing key does not echo its value', () => {
  assert.throws(
    () => loadConfig({ HUTONG_APPS: 'wxA:topsecret-value,broken', HUTONG_TUNNEL_SIGNATURE_KEY: 'k' }),
    (error: unknown) => error instanceof ConfigError && !error.message.includes('topsecret-value'),
  );
});

test('IM backpressure limits: defaults from the hub, variables, and a floor', () => {
  const defaults = loadConfig({ ...base });
  assert.equal(defaults.im.maxQueuedBytes, imLimitDefaults.maxQueuedBytes);
  assert.equal(defaults.im.maxPendingAccepts, imLimitDefaults.maxPendingAccepts);
  assert.equal(defaults.im.maxQueueWaitMs, imLimitDefaults.maxQueueWaitMs);
  const set = loadConfig({
    ...base,
    HUTONG_IM_MAX_QUEUED_BYTES: '200000',
    HUTONG_IM_MAX_PENDING_ACCEPTS: '64',
    HUTONG_IM_MAX_QUEUE_WAIT_MS: '250',
  });
  assert.deepEqual(
    [set.im.maxQueuedBytes, set.im.maxPendingAccepts, set.im.maxQueueWaitMs],
    [200_000, 64, 250],
  );
  assert.throws(
    () => loadConfig({ ...base, HUTONG_IM_MAX_QUEUED_BYTES: '1000' }),
    (e: unknown) => e instanceof ConfigError && /HUTONG_IM_MAX_QUEUED_BYTES/.test(e.message),
  );
});
