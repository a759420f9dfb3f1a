/**
 * Production refuses unsafe secrets (`hutong start`, `hutong config check`), and nothing Hutong
 * prints carries a credential: `config check` hides every URL password and secret query value,
 * request logs hide skeys, tokens and tunnel ids in query strings.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { redactQuery, redactUrl } from '../src/config/redact.js';
import {
  assertSafeSecrets,
  devApp,
  devTunnelSignatureKey,
  entropyBits,
  newSecret,
  unsafeSecrets,
} from '../src/config/secrets.js';
import { cliTunnelKey, productionEnv, runCli } from './fixtures.js';

const strongToken = 'Zq3vN8pX2mL7tR4wK9cB6hJ1';

const cli = runCli;

describe('production secrets', () => {
  test('entropy estimate: repetition scores low, random keys high', () => {
    assert.equal(entropyBits('aaaaaaaaaaaaaaaa'), 0);
    assert.equal(entropyBits('abababababababab'), 16);
    assert.ok(entropyBits(newSecret()) > 150);
    assert.ok(entropyBits(strongToken) >= 64);
  });

  test('a configuration of its own secrets passes', () => {
    assert.deepEqual(unsafeSecrets(loadConfig({ ...productionEnv, HUTONG_ADMIN_TOKEN: strongToken })), []);
  });

  const refused: [string, Record<string, string>, string, RegExp][] = [
    [
      'the dev tunnel key',
      { HUTONG_TUNNEL_SIGNATURE_KEY: devTunnelSignatureKey },
      'HUTONG_TUNNEL_SIGNATURE_KEY',
      /development key/,
    ],
    [
      'a one-character tunnel key',
      { HUTONG_TUNNEL_SIGNATURE_KEY: 'k' },
      'HUTONG_TUNNEL_SIGNATURE_KEY',
      /1 characters; use at least 32/,
    ],
    [
      'a long but repetitive tunnel key',
      { HUTONG_TUNNEL_SIGNATURE_KEY: 'ab'.repeat(20) },
      'HUTONG_TUNNEL_SIGNATURE_KEY',
      /repetitive/,
    ],
    ['the dev app secret', { HUTONG_APP_SECRET: devApp.secret }, 'HUTONG_APP_SECRET', /development secret/],
    [
      'the simulator default app secret',
      { HUTONG_APP_SECRET: '0123456789abcdef0123456789abcdef' },
      'HUTONG_APP_SECRET',
      /development secret/,
    ],
    ['a weak admin token', { HUTONG_ADMIN_TOKEN: 'aaaaaaaaaaaaaaaa' }, 'HUTONG_ADMIN_TOKEN', /0 bits/],
  ];
  for (const [what, env, key, problem] of refused) {
    test(`hutong start and config check refuse ${what} (exit 2, naming ${key})`, () => {
      const config = loadConfig({ ...productionEnv, ...env });
      assert.throws(
        () => assertSafeSecrets(config),
        (error: Error & { key?: string }) => error.key === key,
      );
      for (const args of [['start'], ['config', 'check']]) {
        const run = cli(args, { ...productionEnv, ...env });
        assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
        assert.match(run.stderr, new RegExp(`^Configuration error: ${key}: `));
        assert.match(run.stderr, problem);
        assert.match(run.stderr, /hutong config secret/);
        for (const value of Object.values(env)) {
          if (value.length >= 8) assert.ok(!run.stderr.includes(value), 'the secret is not printed');
        }
      }
    });
  }

  test('hutong config secret prints a fresh 256-bit key that start accepts', () => {
    const one = cli(['config', 'secret'], {});
    const two = cli(['config', 'secret'], {});
    assert.equal(one.status, 0);
    assert.match(one.stdout, /^[A-Za-z0-9_-]{43}\n$/);
    assert.notEqual(one.stdout, two.stdout);
    const config = loadConfig({ ...productionEnv, HUTONG_TUNNEL_SIGNATURE_KEY: one.stdout.trim() });
    assert.doesNotThrow(() => assertSafeSecrets(config));
  });
});

describe('no credential in what Hutong prints', () => {
  test('config check hides the password of every URL form, and the IM webhook credentials', () => {
    const secrets = [
      'pw-session',
      'pw-broker',
      'pw-im',
      'pw-query',
      'pw-user-only',
      'hook-token',
      'hook-pass',
    ];
    const run = cli(['config', 'check'], {
      ...productionEnv,
      HUTONG_STORE: 'redis',
      HUTONG_STORE_URL: 'redis://:pw-session@127.0.0.1:6379/0',
      HUTONG_BROKER: 'redis',
      HUTONG_BROKER_URL: 'redis://pw-user-only@127.0.0.1:6379/1',
      HUTONG_IM_STORE: 'postgres',
      HUTONG_IM_STORE_URL: 'postgres://hutong:pw-im@db/hutong?password=pw-query&sslmode=require',
      HUTONG_IM_WEBHOOK_URL: 'https://hooks:hook-pass@biz.example.com/im?token=hook-token',
      HUTONG_ADMIN_TOKEN: strongToken,
    });
    assert.equal(run.status, 0, run.stderr);
    for (const secret of [...secrets, strongToken, cliTunnelKey, productionEnv.HUTONG_APP_SECRET]) {
      assert.ok(!run.stdout.includes(secret), `${secret} is hidden`);
    }
    const shown = JSON.parse(run.stdout);
    assert.equal(shown.store.url, 'redis://:[redacted]@127.0.0.1:6379/0');
    assert.equal(shown.broker.url, 'redis://[redacted]@127.0.0.1:6379/1');
    assert.equal(
      shown.im.store.url,
      'postgres://hutong:[redacted]@db/hutong?password=[redacted]&sslmode=require',
    );
    assert.equal(shown.im.webhook.url, 'https://hooks:[redacted]@biz.example.com/im?token=[redacted]');
  });

  test('request URLs in logs lose skeys, tokens, tunnel ids and codes', () => {
    assert.equal(
      redactQuery('/tunnel/ws?tunnelId=t-1&recover=1&offset=3&resume=r-1&skey=s-1&token=tk&code=c&ok=yes'),
      '/tunnel/ws?tunnelId=[redacted]&recover=1&offset=3&resume=[redacted]&skey=[redacted]&token=[redacted]&code=[redacted]&ok=yes',
    );
    assert.equal(
      redactUrl('https://api.example.com'),
      'https://api.example.com',
      'nothing to hide, unchanged',
    );
  });
});
