/**
 * Mistakes `hutong config check` used to pass: each is now an error (or a warning) whose text
 * names the config file key and the environment variable, whichever of the two set the value.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { checkConfigWithFile, configKeys } from '../src/config/config-file.js';
import { productionProblems } from '../src/config/production.js';
import { createHutong } from '../src/hutong.js';
import { cliTunnelKey, makeCert, productionEnv, runCli, testApp, testEnv } from './fixtures.js';

const base = {
  appid: testApp.appid,
  appSecret: 'app-secret-from-the-file',
  tunnel: { signatureKey: cliTunnelKey },
  store: { url: ':memory:' },
};

/** The file's settings at `path` (a dotted key) set to `value`, over `base`. */
function withKey(path: string, value: unknown, extra: Record<string, unknown> = {}) {
  const file = structuredClone({ ...base, ...extra }) as Record<string, unknown>;
  const parts = path.split('.');
  let node = file;
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
  return file;
}

/** Each mistake: its file key, the value, settings it needs beside it, and what the error says. */
const mistakes: [what: string, key: string, value: string, extra: Record<string, unknown>, says: RegExp][] = [
  ['a misspelt publicUrl scheme', 'publicUrl', 'htps:/api.example.com', {}, /did you mean "https:\/\/…"/],
  ['a publicUrl without a scheme', 'publicUrl', 'api.example.com', {}, /"https:\/\/api\.example\.com"/],
  ['a publicUrl without a host', 'publicUrl', 'https://', {}, /expected a https:\/\/ or http:\/\/ URL/],
  [
    'a broker.url without a scheme',
    'broker.url',
    'localhost:6379',
    { broker: { kind: 'redis' } },
    /"redis:\/\/localhost:6379"/,
  ],
  [
    'a postgress:// store URL',
    'store.url',
    'postgress://u:pw@db/hutong',
    { store: { kind: 'postgres' } },
    /did you mean "postgres:\/\/…"/,
  ],
  [
    'a PostgreSQL URL for the MySQL store',
    'store.url',
    'postgres://db/hutong',
    { store: { kind: 'mysql' } },
    /mysql:\/\/ or mariadb:\/\//,
  ],
  [
    'a URL for the SQLite store',
    'store.url',
    'postgres://db/hutong',
    { store: { kind: 'sqlite' } },
    /file path for SQLite/,
  ],
  [
    'a MySQL URL for a PostgreSQL IM store',
    'im.store.url',
    'mysql://db/im',
    { im: { store: { kind: 'postgres' } } },
    /postgres:\/\//,
  ],
  [
    'a redisUrl that is no Redis URL',
    'redisUrl',
    'http://cache:6379',
    { store: { kind: 'redis', url: undefined } },
    /redis:\/\//,
  ],
  ['an IM webhook over ftp', 'im.webhook.url', 'ftp://biz.example.com/im', {}, /https:\/\/ or http:\/\//],
  [
    'a WeChat API URL without a scheme',
    'wechat.apiUrl',
    'api.weixin.qq.com',
    {},
    /"https:\/\/api\.weixin\.qq\.com"/,
  ],
  ['trustProxy of every address', 'trustProxy', '0.0.0.0/0', {}, /trusts every address/],
  [
    'trustProxy of a host name',
    'trustProxy',
    'nginx',
    {},
    /"nginx" is not an IP address, CIDR range or loopback/,
  ],
  ['trustProxy of every IPv6 address', 'trustProxy', '10.0.0.1, ::/0', {}, /"::\/0" trusts every address/],
];

describe('configuration mistakes', () => {
  let dir: string;
  const file = async (content: unknown, name = 'h.json') => {
    const path = join(dir, name);
    await writeFile(path, JSON.stringify(content));
    return path;
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hutong-checks-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const [what, key, value, extra, says] of mistakes) {
    const env = configKeys[key]![0];
    test(`${what}: an error naming ${key} and ${env}, from the file or the environment`, async () => {
      const fromFile = await checkConfigWithFile(await file(withKey(key, value, extra)), {});
      const inFile = fromFile.errors.find((e) => e.key === `h.json: ${key} (${env})`);
      assert.ok(inFile, fromFile.errors.map((e) => e.message).join('\n'));
      assert.match(inFile.detail, says);
      assert.ok(!inFile.message.includes('pw@'), 'no password in the message');

      const fileless = structuredClone(extra) as Record<string, unknown>;
      const fromEnv = await checkConfigWithFile(await file({ ...base, ...fileless }, 'e.json'), {
        [env]: value,
      });
      const inEnv = fromEnv.errors.find((e) => e.key === env);
      assert.ok(inEnv, fromEnv.errors.map((e) => e.message).join('\n'));
      assert.match(inEnv.message, new RegExp(`^${env}: .*\\(file key ${key.replace('.', '\\.')}\\)$`));
    });
  }

  test('an http:// publicUrl while this server terminates TLS', async () => {
    const { cert, key } = makeCert(dir, 'c');
    const report = await checkConfigWithFile(
      await file({ ...base, publicUrl: 'http://api.example.com', tls: { cert, key } }),
      {},
    );
    assert.deepEqual(
      report.errors.map((e) => e.key),
      ['h.json: publicUrl (HUTONG_PUBLIC_URL)'],
    );
    assert.match(report.errors[0]!.detail, /TLS is on .*https:\/\//);
    const unset = await checkConfigWithFile(await file({ ...base, tls: { cert, key } }), {});
    assert.deepEqual(unset.errors, []);
    assert.match(unset.config.publicUrl, /^https:\/\/127\.0\.0\.1:/);
  });

  test('HOST=0.0.0.0 without a publicUrl: a loopback URL is advertised, with warnings', async () => {
    const report = await checkConfigWithFile(await file(base), { HOST: '0.0.0.0', PORT: '5822' });
    assert.deepEqual(report.errors, []);
    assert.equal(report.config.publicUrl, 'http://127.0.0.1:5822');
    const warned = report.warnings.map((w) => `${w.key}: ${w.detail}`).join('\n');
    assert.match(warned, /^HUTONG_PUBLIC_URL: unset while HOST is 0\.0\.0\.0.*\(file key publicUrl\)$/m);
    assert.match(warned, /^HOST: 0\.0\.0\.0 serves plain HTTP.*\(file key host\)$/m);
    const v6 = await checkConfigWithFile(await file({ ...base, host: '::' }), {});
    assert.match(v6.config.publicUrl, /^http:\/\/\[::1\]:5757$/);
  });

  test('plain HTTP warns beyond loopback only; a publicUrl silences the wildcard warning', async () => {
    const lan = await checkConfigWithFile(await file({ ...base, host: '10.0.0.5' }), {});
    assert.deepEqual(
      lan.warnings.map((w) => w.key),
      ['h.json: host (HOST)'],
    );
    for (const host of ['127.0.0.1', 'localhost', '::1']) {
      const local = await checkConfigWithFile(await file({ ...base, host }), {});
      assert.deepEqual(local.warnings, [], host);
    }
    const set = await checkConfigWithFile(
      await file({ ...base, host: '0.0.0.0', publicUrl: 'https://api.example.com/' }),
      {},
    );
    assert.equal(set.config.publicUrl, 'https://api.example.com');
    assert.deepEqual(
      set.warnings.map((w) => w.key),
      ['h.json: host (HOST)'],
    );
  });

  test('an appid that is not wx + 16 hex digits is a production error (tests and the simulator use short ones)', async () => {
    assert.deepEqual(
      loadConfig(testEnv({ HUTONG_APPID: 'wx1' })).apps[0]!.appid,
      'wx1',
      'loadConfig allows it',
    );
    const config = loadConfig(testEnv({ HUTONG_APPID: 'my-app' }));
    assert.deepEqual(
      productionProblems(config).map((p) => p.key),
      ['HUTONG_TUNNEL_SIGNATURE_KEY', 'HUTONG_APPID'],
    );
    const run = runCli(['config', 'check', '--config', await file({ ...base, appid: 'my-app' })], {
      PATH: process.env['PATH'] ?? '',
    });
    assert.equal(run.status, 2, run.stderr);
    assert.match(
      run.stderr,
      /^Configuration error: h\.json: appid \(HUTONG_APPID\): "my-app" is not a mini program appid/,
    );
    const fromEnv = runCli(['config', 'check'], { ...productionEnv, HUTONG_APPID: 'WX0123' });
    assert.equal(fromEnv.status, 2);
    assert.match(fromEnv.stderr, /^Configuration error: HUTONG_APPID: "WX0123" .*\(file key appid\)/);
  });

  test('config check lists every error at once, each with its key and variable', async () => {
    const path = await file({
      ...base,
      appid: 'my-app',
      publicUrl: 'api.example.com',
      trustProxy: 'nginx',
      broker: { kind: 'redis', url: 'localhost:6379' },
      session: { ttl: 'long' },
    });
    const run = runCli(['config', 'check', '--config', path], { HUTONG_IM_STORE: 'mongo' });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /^Configuration errors \(6\):\n/);
    for (const name of [
      'h.json: session.ttl (HUTONG_SESSION_TTL): expected an integer',
      'h.json: publicUrl (HUTONG_PUBLIC_URL): ',
      'h.json: trustProxy (HUTONG_TRUST_PROXY): ',
      'h.json: broker.url (HUTONG_BROKER_URL): ',
      'HUTONG_IM_STORE: expected sqlite, mysql or postgres, got "mongo" (file key im.store.kind)',
      'h.json: appid (HUTONG_APPID): "my-app" is not a mini program appid',
    ]) {
      assert.ok(run.stderr.includes(`  ${name}`), `${name} in\n${run.stderr}`);
    }
  });

  test('unknown file keys are refused with the nearest known key', async () => {
    const report = async (content: unknown) =>
      (await checkConfigWithFile(await file({ ...base, ...(content as object) }), {})).errors.map(
        (e) => e.message,
      );
    assert.deepEqual(await report({ sesion: { ttl: 60 } }), [
      'h.json: sesion: unknown key (did you mean "session"?)',
    ]);
    assert.deepEqual(await report({ session: { tll: 60 } }), [
      'h.json: session.tll: unknown key (did you mean "session.ttl"?)',
    ]);
    assert.deepEqual(await report({ publicURL: 'https://x' }), [
      'h.json: publicURL: unknown key (did you mean "publicUrl"?)',
    ]);
    assert.deepEqual(await report({ frobnicate: 1 }), ['h.json: frobnicate: unknown key']);
  });

  test('hutong start with a bad trustProxy exits 2 with a ConfigError, never a TypeError', () => {
    for (const value of ['nginx', '0.0.0.0/0', '10.0.0.0/33']) {
      const run = runCli(['start'], { ...productionEnv, HUTONG_TRUST_PROXY: value });
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /^Configuration error: HUTONG_TRUST_PROXY: .*\(file key trustProxy\)/);
      assert.ok(!/TypeError/.test(run.stderr), run.stderr);
    }
  });

  test('what check passes for trustProxy, a node starts with: addresses, ranges and proxy-addr keywords', async () => {
    const hutong = await createHutong(
      loadConfig(testEnv({ HUTONG_TRUST_PROXY: 'loopback, 10.0.0.0/8,::1, uniquelocal' })),
      { purgeIntervalMs: 0 },
    );
    await hutong.listen();
    await hutong.close();
  });
});
