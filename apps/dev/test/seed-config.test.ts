/**
 * `HUTONG_SEED_CONFIG`: the seed 一笔到底 server's `config.js` mapped onto Hutong's settings, key by
 * key, the environment winning; bad values and files as ConfigErrors naming the file and the key;
 * and the dev stack started from such a file (its base path and session TTL, its SQL store).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { codeSessionKey } from '@hutong/core';
import { ConfigError } from '@hutong/server';
import { Redis } from 'ioredis';
import pg from 'pg';
import { service, uniqueSuffix } from '../../../testing/services.js';
import { readSeedFile, seedSettings } from '../src/seed-config.js';
import { startDevStack } from '../src/stack.js';
import { canvasActions, seedPhone } from './applet-fixture.js';
import { startTestStack } from './stack-fixture.js';

const [postgres, redis] = await Promise.all([service('postgres'), service('redis')]);

/** The seed's own config.js, as shipped: every value empty but the port and base path. */
const original = {
  port: '5757',
  ROUTE_BASE_PATH: '/applet',
  appId: '',
  appSecret: '',
  redisConfig: { host: '', port: '', password: '' },
  mongoConfig: {
    username: '',
    password: '',
    host: '',
    port: '',
    query: '?authMechanism=MONGODB-CR&authSource=admin',
    database: 'qcloud-applet-session',
  },
};

const map = (changes: Record<string, unknown>, env: Record<string, string> = {}) =>
  seedSettings({ ...original, ...changes }, 'config.js', env);

/** Asserts a ConfigError whose message starts with `config.js: <key>:`. */
function refuses(changes: Record<string, unknown>, key: string, detail?: RegExp) {
  assert.throws(
    () => map(changes),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.ok(error.message.startsWith(`config.js: ${key}: `), error.message);
      if (detail) assert.match(error.message, detail);
      return true;
    },
  );
}

describe('seed config mapping', () => {
  test('the original file as shipped: its port and base path, the dev app, the default stores', () => {
    const seed = map({});
    assert.deepEqual(seed.env, { PORT: '5757' });
    assert.deepEqual(seed.applet, { basePath: '/applet' });
    assert.equal(seed.demoStore, undefined);
  });

  test('port → PORT, a number or digits', () => {
    assert.equal(map({ port: 8080 }).env['PORT'], '8080');
    assert.equal(map({ port: '' }).env['PORT'], undefined, 'empty: the default');
    refuses({ port: 'http' }, 'port', /"http"/);
    refuses({ port: 70_000 }, 'port');
    refuses({ port: '80a' }, 'port');
  });

  test('ROUTE_BASE_PATH → applet.basePath, without a trailing slash', () => {
    assert.equal(map({ ROUTE_BASE_PATH: '/api/v2/' }).applet.basePath, '/api/v2');
    assert.equal(map({ ROUTE_BASE_PATH: '/' }).applet.basePath, '', 'the root');
    assert.equal(map({ ROUTE_BASE_PATH: undefined }).applet.basePath, undefined, 'unset: the default');
    refuses({ ROUTE_BASE_PATH: 'applet' }, 'ROUTE_BASE_PATH', /starting with \//);
    refuses({ ROUTE_BASE_PATH: 42 }, 'ROUTE_BASE_PATH');
    refuses({ ROUTE_BASE_PATH: '/a b' }, 'ROUTE_BASE_PATH');
    refuses({ ROUTE_BASE_PATH: '/:id' }, 'ROUTE_BASE_PATH');
  });

  test('appId + appSecret → the app Hutong logs in with, against real WeChat; one alone is an error', () => {
    const { env } = map({ appId: 'wx0123456789abcdef', appSecret: 's3cret' });
    assert.equal(env['HUTONG_APPID'], 'wx0123456789abcdef');
    assert.equal(env['HUTONG_APP_SECRET'], 's3cret');
    assert.equal(env['HUTONG_WECHAT_API_URL'], 'https://api.weixin.qq.com');
    refuses({ appId: 'wx0123456789abcdef' }, 'appSecret', /both/);
    refuses({ appSecret: 's3cret' }, 'appId', /both/);
    refuses({ appId: 7, appSecret: 's' }, 'appId');
  });

  test('redisConfig with a host → the session store on that Redis; ttl → applet.ttlSeconds', () => {
    const seed = map({
      redisConfig: { host: '10.0.0.5', port: '6380', password: 'p@ss/word', db: 2, ttl: 600 },
    });
    assert.equal(seed.env['HUTONG_STORE'], 'redis');
    assert.equal(seed.env['HUTONG_STORE_URL'], 'redis://:p%40ss%2Fword@10.0.0.5:6380/2');
    assert.equal(seed.applet.ttlSeconds, 600);
    assert.equal(map({ redisConfig: { host: 'redis' } }).env['HUTONG_STORE_URL'], 'redis://redis:6379');
    assert.equal(
      map({ redisConfig: { host: '::1', port: 6379 } }).env['HUTONG_STORE_URL'],
      'redis://[::1]:6379',
    );
    const ttlOnly = map({ redisConfig: { host: '', ttl: '900' } });
    assert.equal(ttlOnly.env['HUTONG_STORE'], undefined, 'no host: the default store');
    assert.equal(ttlOnly.applet.ttlSeconds, 900);
    refuses({ redisConfig: 'redis://10.0.0.5' }, 'redisConfig', /object/);
    refuses({ redisConfig: [] }, 'redisConfig', /object/);
    refuses({ redisConfig: { host: 'a', port: 'six' } }, 'redisConfig.port');
    refuses({ redisConfig: { host: 'a@b' } }, 'redisConfig.host');
    refuses({ redisConfig: { host: 'a', db: -1 } }, 'redisConfig.db');
    refuses({ redisConfig: { ttl: 0 } }, 'redisConfig.ttl');
  });

  test('mongoConfig: an empty host is the default store; url → a SQL store; a host is a ConfigError', () => {
    assert.equal(map({}).demoStore, undefined);
    assert.deepEqual(map({ mongoConfig: { url: 'postgres://u@db:5432/paints' } }).demoStore, {
      kind: 'postgres',
      url: 'postgres://u@db:5432/paints',
    });
    assert.deepEqual(map({ mongoConfig: { host: 'ignored', url: 'mysql://root@db/paints' } }).demoStore, {
      kind: 'mysql',
      url: 'mysql://root@db/paints',
    });
    const stores =
      /SQLite.*default.*MySQL\/MariaDB or PostgreSQL.*mongoConfig\.url.*DemoStore.*registerDemos/;
    refuses({ mongoConfig: { ...original.mongoConfig, host: 'mongo.example.com' } }, 'mongoConfig', stores);
    refuses({ mongoConfig: { url: 'mongodb://mongo.example.com/x' } }, 'mongoConfig.url', stores);
    refuses({ mongoConfig: 'mongodb://x' }, 'mongoConfig', /object/);
  });

  test('the environment wins, one setting at a time', () => {
    const seed = map(
      {
        appId: 'wx0123456789abcdef',
        appSecret: 's3cret',
        redisConfig: { host: '10.0.0.5', ttl: 600 },
      },
      { PORT: '0', HUTONG_STORE: 'sqlite', HUTONG_WECHAT_API_URL: 'http://127.0.0.1:9/wx', OTHER: 'kept' },
    );
    assert.equal(seed.env['PORT'], '0');
    assert.equal(seed.env['HUTONG_STORE'], 'sqlite');
    assert.equal(seed.env['HUTONG_STORE_URL'], undefined, "never the file's Redis URL under the env's store");
    assert.equal(seed.env['HUTONG_APPID'], 'wx0123456789abcdef', 'the app is not set in the environment');
    assert.equal(seed.env['HUTONG_WECHAT_API_URL'], 'http://127.0.0.1:9/wx');
    assert.equal(seed.env['OTHER'], 'kept');
    const app = map({ appId: 'wx0123456789abcdef', appSecret: 's3cret' }, { HUTONG_APPS: 'wxother:secret' });
    assert.equal(app.env['HUTONG_APPID'], undefined);
    assert.equal(app.env['HUTONG_WECHAT_API_URL'], undefined, "the file's WeChat goes with its app");
    assert.equal(map({}, { PORT: '' }).env['PORT'], '5757', 'an empty variable is unset');
  });
});

describe('seed config files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hutong-seed-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const file = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };
  const loadFails = async (path: string, detail: RegExp) => {
    await assert.rejects(readSeedFile(path), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.ok(error.message.startsWith(`HUTONG_SEED_CONFIG: ${path}: `), error.message);
      assert.match(error.message, detail);
      return true;
    });
  };

  test('a CommonJS .js or .cjs module, or .json, read afresh each time', async () => {
    const js = await file('config.js', `module.exports = ${JSON.stringify(original)};`);
    assert.deepEqual(await readSeedFile(js), original);
    await writeFile(js, `module.exports = { port: '6000' };`);
    assert.deepEqual(await readSeedFile(js), { port: '6000' }, 'not a cached copy');
    const cjs = await file('config.cjs', `module.exports = { port: 1 };`);
    assert.deepEqual(await readSeedFile(cjs), { port: 1 });
    const json = await file('config.json', JSON.stringify(original));
    assert.deepEqual(await readSeedFile(json), original);
  });

  test('a file that does not load is a ConfigError naming it', async () => {
    await loadFails(join(dir, 'missing.js'), /cannot load/);
    await loadFails(await file('throws.js', `throw new Error('boom');`), /cannot load: boom/);
    await loadFails(await file('syntax.js', `module.exports = {`), /cannot load/);
    await loadFails(await file('bad.json', `{"port": `), /cannot load/);
    await loadFails(await file('number.js', `module.exports = 5;`), /expected an object/);
    await loadFails(await file('config.yaml', `port: 1`), /\.js or \.cjs/);
  });

  test('the dev stack refuses a MongoDB host before starting anything', async () => {
    const path = await file(
      'mongo.js',
      `module.exports = ${JSON.stringify({ ...original, mongoConfig: { ...original.mongoConfig, host: 'mongo' } })};`,
    );
    await assert.rejects(startTestStack({ HUTONG_SEED_CONFIG: path }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /^mongo\.js: mongoConfig: MongoDB is not available/);
      return true;
    });
  });

  test('the dev stack serves the seed routes at the file’s base path, with its session TTL', async () => {
    const path = await file(
      'custom.js',
      `module.exports = ${JSON.stringify({ ...original, ROUTE_BASE_PATH: '/custom/', redisConfig: { host: '', ttl: 900 } })};`,
    );
    // PORT=0 from the environment wins over the file's 5757.
    const stack = await startTestStack({ HUTONG_SEED_CONFIG: path });
    try {
      assert.notEqual(new URL(stack.url).port, '5757');
      const me = await seedPhone(stack, '/custom');
      const actions = canvasActions(7);
      assert.equal((await me.request('POST', '/save', { id: 'p1', actions })).body.code, 0);
      assert.deepEqual((await me.request('GET', '/list')).body.data, [{ id: 'p1', actions }]);
      assert.equal((await fetch(`${stack.url}/applet/session/paints/list`)).status, 404, 'not at /applet');
      const view = (await (
        await fetch(`${stack.url}/api/v1/session`, {
          headers: { authorization: `Bearer ${codeSessionKey(me.code)}` },
        })
      ).json()) as { expiresAt: number };
      assert.ok(Math.abs(view.expiresAt - (Date.now() + 900_000)) < 10_000, 'redisConfig.ttl: 900 s');
    } finally {
      await stack.close();
    }
  });

  test('redisConfig with a host keeps the sessions in that Redis, in its db', {
    skip: redis.skip,
  }, async () => {
    const { hostname, port } = new URL(redis.url);
    const db = 11; // this test's own: its keys are removed afterwards
    const path = await file(
      'redis.js',
      `module.exports = ${JSON.stringify({ ...original, redisConfig: { host: hostname, port, password: '', db } })};`,
    );
    // No HUTONG_STORE in the environment: the file's Redis is the session store.
    const stack = await startDevStack({
      env: {
        PORT: '0',
        HOST: '127.0.0.1',
        HUTONG_DATA_DIR: dir,
        HUTONG_LOG_LEVEL: 'silent',
        HUTONG_SEED_CONFIG: path,
      },
    });
    const client = new Redis(redis.url, { db });
    try {
      assert.equal(stack.hutong.config.store.kind, 'redis');
      const me = await seedPhone(stack, '/applet');
      assert.equal((await me.request('GET', '/list')).body.code, 0);
      assert.equal((await me.request('GET', '/list')).body.code, 0, 'the session, found by its code');
      assert.ok((await client.keys('hutong:*')).length > 0, `sessions in db ${db}`);
    } finally {
      await stack.close();
      const keys = await client.keys('hutong:*');
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
    }
  });

  test('mongoConfig.url postgres:// keeps the paints in PostgreSQL', { skip: postgres.skip }, async () => {
    const schema = `seed_${uniqueSuffix()}`;
    const admin = new pg.Client(postgres.url);
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA ${schema}`);
      const url = new URL(postgres.url);
      url.searchParams.set('options', `-c search_path=${schema}`);
      const path = await file(
        'pg.json',
        JSON.stringify({ ...original, mongoConfig: { ...original.mongoConfig, url: url.href } }),
      );
      const stack = await startTestStack({ HUTONG_SEED_CONFIG: path });
      try {
        const me = await seedPhone(stack, '/applet');
        const actions = canvasActions(8);
        assert.equal((await me.request('POST', '/save', { id: 'in-pg', actions })).body.code, 0);
        const { rows } = await admin.query(`SELECT owner, id, actions FROM ${schema}.hutong_demo_paints`);
        assert.deepEqual(rows, [{ owner: me.openid, id: 'in-pg', actions }]);
      } finally {
        await stack.close();
      }
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });
});
