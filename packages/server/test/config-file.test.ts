/**
 * hutong.config.json and `hutong config`: the file and the environment mean the same settings, the
 * environment wins, every error names the key it came from, and secrets are never printed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../src/config/config.js';
import {
  configFileSchema,
  configKeys,
  describeConfig,
  loadConfigWithFile,
} from '../src/config/config-file.js';

import { runCli } from './fixtures.js';

const base = {
  tunnel: { signatureKey: 'tunnel-key-from-the-file-7fQ2xLp9ZkW3' },
  appid: 'wx0123456789abcdef',
  appSecret: 'app-secret-from-the-file',
};

describe('hutong.config.json', () => {
  let dir: string;
  const file = async (name: string, content: unknown) => {
    const path = join(dir, name);
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const refused = async (promise: Promise<unknown>, key: string | RegExp) => {
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      if (typeof key === 'string') assert.equal(error.key, key);
      else assert.match(error.key, key);
      return true;
    });
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hutong-config-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('nested keys become the same settings as the environment; the environment wins', async () => {
    const path = await file('hutong.config.json', {
      ...base,
      port: 8443,
      session: { ttl: 3600, single: true },
      store: { kind: 'postgres', url: 'postgres://u:pw@db/hutong' },
      broker: { kind: 'redis', url: 'redis://cache:6379' },
      apps: [
        { appid: 'wx1111111111111111', secret: 's1' },
        { appid: 'wx2222222222222222', secret: 's2' },
      ],
      tunnel: { ...base.tunnel, webhookRetryMs: [100, 500] },
      im: { idle: 30, webhook: { url: 'https://biz/im', verify: true } },
    });
    const config = await loadConfigWithFile(path, { PORT: '9000' });
    assert.equal(config.port, 9000, 'the environment wins');
    assert.equal(config.sessionTtlMs, 3_600_000);
    assert.equal(config.singleSession, true);
    assert.deepEqual(config.store, { kind: 'postgres', url: 'postgres://u:pw@db/hutong' });
    assert.deepEqual(config.broker, { kind: 'redis', url: 'redis://cache:6379' });
    assert.deepEqual(
      config.apps.map((a) => a.appid),
      ['wx1111111111111111', 'wx2222222222222222'],
    );
    assert.deepEqual(config.webhookRetryDelaysMs, [100, 500]);
    assert.equal(config.im.idleSeconds, 30);
    assert.deepEqual(config.im.webhook, { url: 'https://biz/im', verify: true, filter: false });
  });

  test('a secret may come from a file named in the config file', async () => {
    const secret = await file('key.txt', 'signature-key-from-a-secret-file\n');
    const path = await file('secret.json', { ...base, tunnel: { signatureKeyFile: secret } });
    assert.equal((await loadConfigWithFile(path, {})).tunnelSignatureKey, 'signature-key-from-a-secret-file');
  });

  test('a module config (.mjs) works like JSON', async () => {
    const path = await file(
      'hutong.config.mjs',
      `export default ${JSON.stringify({ ...base, port: 7000 })};`,
    );
    assert.equal((await loadConfigWithFile(path, {})).port, 7000);
  });

  test('errors name the key: wrong type, unknown key, bad value, missing file, not JSON', async () => {
    await refused(
      loadConfigWithFile(await file('a.json', { ...base, port: 'x' }), {}),
      'a.json: port (PORT)',
    );
    await refused(
      loadConfigWithFile(await file('b.json', { ...base, sesion: { ttl: 60 } }), {}),
      'b.json: sesion',
    );
    await refused(
      loadConfigWithFile(await file('c.json', { ...base, session: { ttl: 5 } }), {}),
      'c.json: session.ttl (HUTONG_SESSION_TTL)',
    );
    await refused(
      loadConfigWithFile(await file('d.json', { ...base, store: { kind: 'mongo' } }), {}),
      'd.json: store.kind (HUTONG_STORE)',
    );
    // The same bad value from the environment names the environment key.
    await refused(
      loadConfigWithFile(await file('e.json', base), { HUTONG_SESSION_TTL: '5' }),
      'HUTONG_SESSION_TTL',
    );
    await refused(loadConfigWithFile(join(dir, 'missing.json'), {}), 'missing.json');
    await refused(loadConfigWithFile(await file('f.json', '{"port": 1,'), {}), 'f.json');
    await refused(loadConfigWithFile(await file('g.json', [1, 2]), {}), /^g\.json/);
  });

  test('the schema covers every key and refuses others', () => {
    const text = JSON.stringify(configFileSchema);
    for (const path of Object.keys(configKeys)) {
      assert.ok(text.includes(`"${path.split('.').at(-1)}"`), path);
    }
    assert.equal(configFileSchema.additionalProperties, false);
  });

  test('describeConfig hides secrets and URL passwords', async () => {
    const path = await file('h.json', {
      ...base,
      adminToken: 'admin-token-0123456789abcdef',
      store: { kind: 'mysql', url: 'mysql://root:hunter2@db/hutong' },
    });
    const text = JSON.stringify(describeConfig(await loadConfigWithFile(path, {})));
    for (const secret of [
      'tunnel-key-from-the-file-7fQ2xLp9ZkW3',
      'app-secret-from-the-file',
      'admin-token-0123456789abcdef',
      'hunter2',
    ]) {
      assert.ok(!text.includes(secret), `${secret} is hidden`);
    }
    assert.match(text, /mysql:\/\/root:\[redacted\]@db\/hutong/);
  });

  test("the printed configuration has the file's shape: every leaf is a file key, in its unit", async () => {
    const path = await file('shape.json', {
      ...base,
      session: { ttl: 3600 },
      store: { kind: 'redis', url: 'redis://:pw@cache:6379' },
      im: { webhook: { url: 'https://biz.example.com/im' } },
    });
    const shown = describeConfig(await loadConfigWithFile(path, {}));
    const leaves: string[] = [];
    const walk = (node: Record<string, unknown>, prefix: string) => {
      for (const [key, value] of Object.entries(node)) {
        const at = prefix ? `${prefix}.${key}` : key;
        if (at in configKeys) leaves.push(at);
        else if (value && typeof value === 'object' && !Array.isArray(value))
          walk(value as Record<string, unknown>, at);
        else assert.fail(`${at} is not a file key`);
      }
    };
    walk(shown, '');
    assert.ok(leaves.includes('session.ttl') && leaves.includes('tunnel.signatureKey'));
    const session = shown['session'] as Record<string, unknown>;
    assert.equal(session['ttl'], 3600, 'seconds, as the file takes them');
    assert.equal((shown['store'] as { url: string }).url, 'redis://:[redacted]@cache:6379');
    const print = runCli(['config', 'print', '--config', path], {
      HUTONG_APP_SECRET: 'another-secret-value',
    });
    assert.equal(print.status, 0, print.stderr);
    assert.deepEqual(Object.keys(JSON.parse(print.stdout)), Object.keys(shown));
    assert.ok(!print.stdout.includes('another-secret-value'));
  });

  test('`hutong config check` prints the configuration without secrets; a bad one exits 2 naming the key', async () => {
    const cli = runCli;
    const good = cli(['config', 'check', '--config', await file('ok.json', base)]);
    assert.equal(good.status, 0, good.stderr);
    assert.equal(JSON.parse(good.stdout).tunnel.signatureKey, '[redacted]');
    assert.ok(!good.stdout.includes('app-secret-from-the-file'));
    assert.match(good.stderr, /configuration ok/);
    const bad = cli(['config', 'check', '--config', await file('bad.json', { ...base, port: -1 })]);
    assert.equal(bad.status, 2);
    assert.match(
      bad.stderr,
      /^Configuration error: bad\.json: port \(PORT\): expected an integer ≥ 0, got -1/,
    );
    const fromEnv = cli(['config', 'check'], {
      HUTONG_TUNNEL_SIGNATURE_KEY: 'k',
      HUTONG_APPID: 'wx0123456789abcdef',
    });
    assert.equal(fromEnv.status, 2);
    assert.match(fromEnv.stderr, /HUTONG_APP_SECRET/);
    const schema = cli(['config', 'schema']);
    assert.equal(JSON.parse(schema.stdout).title, 'hutong.config.json');
    assert.equal(cli(['nonsense']).status, 1);
  });
});
