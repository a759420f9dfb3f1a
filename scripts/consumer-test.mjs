#!/usr/bin/env node
/**
 * The packages as users get them (`npm run test:consumer`; `.ci/run` runs it): build, `npm pack`
 * every published package, install the tarballs with `--omit=dev` into empty projects outside the
 * repository, and use them with plain `node`:
 *
 * - operator: `npx hutong start` from the installed `@hutong/server` (SQLite only: no pg, mysql2
 *   or ioredis installed), WeChat played by the installed `@hutong/wechat-sim` CLI;
 * - business servers: a CommonJS Express app and an ESM Fastify app on `@hutong/node-sdk` (with
 *   no native addon and no driver installed) log users in through that Hutong;
 * - mini program: `miniprogram_dist/index.js` of `@hutong/client` in a VM that has only `wx` (the
 *   simulator's), logging in through the Express app;
 * - types: `tsc` (nodenext, and bundler resolution) checks consumer files against the published
 *   `.d.ts` alone.
 *
 * Figures (install size and time, import time, start-up time) are printed as `# measure` lines,
 * and written as JSON to `$HUTONG_MEASURES` when set (`npm run bench:packages` does).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import vm from 'node:vm';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const published = ['protocol', 'core', 'node-sdk', 'server', 'wechat-sim', 'client'];
const DRIVERS = ['better-sqlite3', 'pg', 'mysql2', 'ioredis'];
const APPID = 'wx1234567890abcdef';
const SECRET = 'consumer-test-app-secret-0123456789';
const TUNNEL_KEY = 'consumer-test-tunnel-key-0123456789';

const measures = [];
const measure = (name, value) => {
  measures.push(`${name}: ${value}`);
  process.stdout.write(`# measure ${name}: ${value}\n`);
};

let work;
const tarballs = {};
const children = [];

async function npm(cwd, args) {
  const started = performance.now();
  await run('npm', args, { cwd, maxBuffer: 16 << 20, env: { ...process.env, npm_config_fund: 'false' } });
  return performance.now() - started;
}

async function project(name, packages, extra = []) {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true }));
  const ms = await npm(dir, [
    'install',
    '--omit=dev',
    '--no-audit',
    '--no-package-lock',
    ...packages.map((p) => tarballs[p]),
    ...extra,
  ]);
  return { dir, ms };
}

/** Bytes on disk under `dir` (files only), and whether any native addon is there. */
async function footprint(dir) {
  let bytes = 0;
  const native = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    bytes += (await stat(path)).size;
    if (entry.name.endsWith('.node') || entry.name === 'binding.gyp') native.push(path);
  }
  return { bytes, native };
}

const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

/**
 * A child process whose output is kept, killed after the tests with its whole process group (`npx`
 * runs the bin in a shell of its own, which a kill of `npx` alone would leave running).
 */
function start(command, args, options) {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  children.push(child);
  return { child, output: () => output };
}

/** Resolves once `url` answers 200; the time it took, ms. */
async function healthy(url, ms = 20_000) {
  const started = performance.now();
  while (performance.now() - started < ms) {
    try {
      const response = await fetch(url);
      if (response.ok) return performance.now() - started;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

function freePort() {
  return import('node:net').then(
    ({ createServer }) =>
      new Promise((resolve) => {
        const server = createServer().listen(0, '127.0.0.1', () => {
          const { port } = server.address();
          server.close(() => resolve(port));
        });
      }),
  );
}

/** Runs `node` with `args` in `cwd`; resolves to {code, stdout, stderr}. */
function node(cwd, args, env = {}) {
  const result = spawnSync(process.execPath, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hutong-consumer-'));
  assert.ok(!work.startsWith(root), 'consumer projects live outside the repository');
  const started = performance.now();
  const packs = join(work, 'tarballs');
  await mkdir(packs);
  // `npm pack` runs each package's prepack, which builds it.
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--pack-destination', packs, ...published.map((p) => `-w=@hutong/${p}`)],
    { cwd: root, maxBuffer: 64 << 20 },
  );
  const json = JSON.parse(stdout.slice(stdout.indexOf('[')));
  for (const pack of json) {
    tarballs[pack.name.replace('@hutong/', '')] = join(packs, pack.filename);
    measure(
      `tarball ${pack.name}`,
      `${kb(pack.size)} packed, ${kb(pack.unpackedSize)} unpacked, ${pack.entryCount} files`,
    );
  }
  measure('build + pack', `${((performance.now() - started) / 1000).toFixed(1)} s`);
});

after(async () => {
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }
  if (process.env.HUTONG_MEASURES)
    await writeFile(process.env.HUTONG_MEASURES, JSON.stringify(measures, null, 2));
  if (work && !process.env.HUTONG_KEEP_CONSUMER) await rm(work, { recursive: true, force: true });
});

test('tarballs ship built JS and declarations, no TypeScript sources', async () => {
  for (const [name, file] of Object.entries(tarballs)) {
    const { stdout } = await run('tar', ['-tzf', file]);
    const entries = stdout.split('\n').filter(Boolean);
    const sources = entries.filter((e) => e.endsWith('.ts') && !e.endsWith('.d.ts'));
    assert.deepEqual(sources, [], `${name} ships TypeScript sources`);
    assert.ok(
      entries.some((e) => e.endsWith('.d.ts')),
      `${name} ships declarations`,
    );
    assert.ok(
      entries.some((e) => e.endsWith('.js')),
      `${name} ships JavaScript`,
    );
    assert.ok(entries.includes('package/README.md'), `${name} ships a README`);
  }
  const client = (await run('tar', ['-tzf', tarballs.client])).stdout;
  assert.match(client, /package\/miniprogram_dist\/index\.js/);
  const server = (await run('tar', ['-tzf', tarballs.server])).stdout;
  assert.match(server, /package\/dist\/admin\/index\.html/, 'the dashboard page is built into the server');
});

describe('installed, used with plain node', () => {
  let hutong;
  let hutongUrl;
  let simUrl;
  let serverDir;
  let sdkDir;
  let expressUrl;

  /** A fresh `wx.login` code from the simulator, as a phone would get one. */
  const loginCode = async () => {
    const response = await fetch(`${simUrl}/sim/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appid: APPID }),
    });
    return (await response.json()).code;
  };

  before(async () => {
    const server = await project('server', ['protocol', 'core', 'server']);
    serverDir = server.dir;
    const serverSize = await footprint(join(serverDir, 'node_modules'));
    measure(
      'install @hutong/server (SQLite only)',
      `${kb(serverSize.bytes)}, ${(server.ms / 1000).toFixed(1)} s`,
    );
    // The simulator stands in for WeChat beside it (what a local or CI setup installs).
    await npm(serverDir, ['install', '--no-audit', '--no-package-lock', tarballs['wechat-sim']]);

    const sdk = await project('node-sdk', ['protocol', 'core', 'node-sdk']);
    const sdkSize = await footprint(join(sdk.dir, 'node_modules'));
    measure('install @hutong/node-sdk alone', `${kb(sdkSize.bytes)}, ${(sdk.ms / 1000).toFixed(1)} s`);
    assert.deepEqual(sdkSize.native, [], 'node-sdk brings no native addon');
    // The business servers' frameworks and the type checks' needs, beside the SDK.
    await npm(sdk.dir, [
      'install',
      '--no-audit',
      '--no-package-lock',
      'express@5',
      'koa@2',
      'fastify@5',
      '@types/node@20',
    ]);
    sdkDir = sdk.dir;

    const simPort = await freePort();
    start('npx', ['--no-install', 'hutong-wechat-sim'], {
      cwd: serverDir,
      env: { ...process.env, PORT: String(simPort), WECHAT_SIM_APPS: `${APPID}:${SECRET}` },
    });
    simUrl = `http://127.0.0.1:${simPort}`;
    await healthy(`${simUrl}/healthz`);

    const port = await freePort();
    hutongUrl = `http://127.0.0.1:${port}`;
    const started = performance.now();
    hutong = start('npx', ['--no-install', 'hutong', 'start'], {
      cwd: serverDir,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(port),
        HUTONG_APPID: APPID,
        HUTONG_APP_SECRET: SECRET,
        HUTONG_TUNNEL_SIGNATURE_KEY: TUNNEL_KEY,
        HUTONG_WECHAT_API_URL: simUrl,
        HUTONG_DATA_DIR: join(serverDir, 'data'),
        HUTONG_LOG_LEVEL: 'warn',
      },
    });
    await healthy(`${hutongUrl}/healthz`).catch((error) => {
      throw new Error(`${error.message}\n${hutong.output()}`);
    });
    measure('npx hutong start → /healthz (built JS)', `${(performance.now() - started).toFixed(0)} ms`);
  });

  test('the server project installs no driver it was not configured for', async () => {
    const modules = join(serverDir, 'node_modules');
    for (const driver of ['pg', 'mysql2', 'ioredis']) {
      assert.equal(existsSync(join(modules, driver)), false, `${driver} is installed`);
    }
    assert.ok(existsSync(join(modules, 'better-sqlite3')), 'SQLite, the default store, is there');
  });

  test('the node-sdk project has no server, no native addon, no driver', async () => {
    const modules = join(sdkDir, 'node_modules');
    // No validator either: node-sdk and core use @hutong/protocol's plain types, never its schemas.
    for (const name of [...DRIVERS, '@hutong/server', 'prom-client', 'kysely', '@sinclair/typebox']) {
      assert.equal(existsSync(join(modules, name)), false, `${name} is installed`);
    }
    const { native } = await footprint(modules);
    assert.deepEqual(native, []);
    const started = performance.now();
    const loaded = node(sdkDir, ['-e', "require('@hutong/node-sdk')"]);
    assert.equal(loaded.code, 0, loaded.stderr);
    measure(
      'node -e "require(\'@hutong/node-sdk\')" (whole process)',
      `${(performance.now() - started).toFixed(0)} ms`,
    );
    const importMs = node(sdkDir, [
      '--input-type=module',
      '-e',
      "const t = performance.now(); await import('@hutong/node-sdk'); console.log((performance.now() - t).toFixed(1));",
    ]);
    assert.equal(importMs.code, 0, importMs.stderr);
    measure("import('@hutong/node-sdk')", `${importMs.stdout.trim()} ms`);
  });

  test('a CommonJS Express business server logs a user in through the installed Hutong', async () => {
    await writeFile(
      join(sdkDir, 'server.cjs'),
      `const express = require('express');
const { hutongExpress, weappSession } = require('@hutong/node-sdk/express');
const { HutongError } = require('@hutong/protocol');
const { toBackend } = require('@hutong/node-sdk');
const app = express();
const hutong = hutongExpress({ url: process.env.HUTONG_URL });
app.get('/weapp/login', hutong.login());
app.get('/weapp/user', hutong.requireSession(), (req, res) => res.json({ code: 0, data: req.$wxInfo.userinfo }));
app.get('/applet/me', weappSession({ auth: { url: process.env.HUTONG_URL } }), (req, res) => res.json({ user: req.$wxUserInfo }));
if (typeof toBackend !== 'function' || typeof HutongError !== 'function') throw new Error('exports missing');
const server = app.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
`,
    );
    const business = start(process.execPath, ['server.cjs'], {
      cwd: sdkDir,
      env: { ...process.env, HUTONG_URL: hutongUrl },
    });
    const port = await new Promise((resolve, reject) => {
      business.child.stdout.on('data', () => {
        const match = /listening (\d+)/.exec(business.output());
        if (match) resolve(Number(match[1]));
      });
      business.child.once('exit', (code) =>
        reject(new Error(`server.cjs exited ${code}: ${business.output()}`)),
      );
    });
    expressUrl = `http://127.0.0.1:${port}`;
    const code = await loginCode();
    const login = await (await fetch(`${expressUrl}/weapp/login`, { headers: { 'x-wx-code': code } })).json();
    assert.equal(login.code, 0, JSON.stringify(login));
    assert.match(login.data.userinfo.openId, /^o/);
    const user = await (
      await fetch(`${expressUrl}/weapp/user`, { headers: { 'x-wx-skey': login.data.skey } })
    ).json();
    assert.equal(user.data.openId, login.data.userinfo.openId);
    // weapp-session (the 一笔到底 scheme): code + rawData + signature, then the code alone.
    const second = await loginCode();
    const info = await (
      await fetch(`${simUrl}/sim/userinfo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: second, appid: APPID }),
      })
    ).json();
    const first = await (
      await fetch(`${expressUrl}/applet/me`, {
        headers: {
          'x-wx-code': second,
          'x-wx-rawdata': encodeURIComponent(info.rawData),
          'x-wx-signature': info.signature,
        },
      })
    ).json();
    assert.match(first.user.openId, /^o/, JSON.stringify(first));
    const again = await (await fetch(`${expressUrl}/applet/me`, { headers: { 'x-wx-code': second } })).json();
    assert.equal(again.user.openId, first.user.openId);
    const bad = await fetch(`${expressUrl}/weapp/user`, { headers: { 'x-wx-skey': 'forged' } });
    assert.equal(bad.status, 401);
    assert.equal((await bad.json()).code, -1);
  });

  test('an ESM Fastify business server (and the Koa glue) load and log in', async () => {
    await writeFile(
      join(sdkDir, 'server.mjs'),
      `import Fastify from 'fastify';
import { hutongFastify } from '@hutong/node-sdk/fastify';
import { hutongKoa } from '@hutong/node-sdk/koa';
import { createWafer2Auth } from '@hutong/node-sdk';
if (typeof hutongKoa !== 'function') throw new Error('koa glue missing');
const app = Fastify();
await app.register(hutongFastify, { auth: { url: process.env.HUTONG_URL } });
const auth = createWafer2Auth({ url: process.env.HUTONG_URL });
app.get('/login', async (request) => ({ code: 0, data: (await auth.authorization(request.raw)).userinfo }));
const code = process.env.CODE;
const reply = await app.inject({ url: '/login', headers: { 'x-wx-code': code } });
console.log(reply.body);
await app.close();
`,
    );
    const code = await loginCode();
    const result = node(sdkDir, ['server.mjs'], { HUTONG_URL: hutongUrl, CODE: code });
    assert.equal(result.code, 0, result.stderr);
    const body = JSON.parse(result.stdout.trim().split('\n').at(-1));
    assert.equal(body.code, 0, result.stdout);
    assert.ok(body.data.skey, result.stdout);
    assert.match(body.data.userinfo.openId, /^o/);
  });

  test('the mini program build runs in a VM with only wx and logs in through the business server (Wafer 2 and weapp-session)', async () => {
    const client = await project('client', ['client']);
    measure(
      'install @hutong/client',
      `${kb((await footprint(join(client.dir, 'node_modules'))).bytes)}, ${(client.ms / 1000).toFixed(1)} s`,
    );
    const pkg = JSON.parse(
      await readFile(join(client.dir, 'node_modules/@hutong/client/package.json'), 'utf8'),
    );
    assert.deepEqual(pkg.dependencies ?? {}, {}, '构建 npm copies no further package');
    const file = join(client.dir, 'node_modules/@hutong/client', pkg.miniprogram, 'index.js');
    const { createWx } = await import(join(serverDir, 'node_modules/@hutong/wechat-sim/dist/esm/index.js'));
    const wx = createWx({ baseUrl: simUrl, appid: APPID });
    const module = { exports: {} };
    const context = vm.createContext({ wx, module, exports: module.exports, setTimeout, clearTimeout });
    vm.runInContext(await readFile(file, 'utf8'), context, { filename: file });
    const sdk = module.exports;
    assert.ok(expressUrl, 'the Express business server is up (test above)');
    sdk.setLoginUrl(`${expressUrl}/weapp/login`);
    const userInfo = await sdk.login();
    assert.match(userInfo.openId, /^o/);
    const response = await sdk.request({ url: `${expressUrl}/weapp/user`, login: true });
    assert.equal(response.data.data.openId, userInfo.openId);
    // weapp-session-client's shape: the first request logs in with the signed rawData.
    const applet = await sdk.requestWithSession({ url: `${expressUrl}/applet/me` });
    assert.equal(applet.data.user.openId, userInfo.openId);

    const esm = node(client.dir, [
      '--input-type=module',
      '-e',
      "import { createClient } from '@hutong/client/core'; console.log(typeof createClient)",
    ]);
    assert.equal(esm.stdout.trim(), 'function', esm.stderr);
    const cjs = node(client.dir, ['-e', "console.log(typeof require('@hutong/client/core').createClient)"]);
    assert.equal(cjs.stdout.trim(), 'function', cjs.stderr);
  });

  test('types: a consumer type-checks against the published .d.ts (nodenext ESM and CJS, bundler)', async () => {
    const consumer = `import { createWafer2Auth, HutongRemoteBackend, type AuthTarget } from '@hutong/node-sdk';
import { hutongExpress } from '@hutong/node-sdk/express';
import { HutongError, type WxUserInfo } from '@hutong/protocol';
import type { SessionStore } from '@hutong/core';
const target: AuthTarget = { url: 'http://127.0.0.1:5757' };
const auth = createWafer2Auth(target);
const glue = hutongExpress(target);
const backend = new HutongRemoteBackend('http://127.0.0.1:5757');
export const user: WxUserInfo = { openId: 'o' };
export const uses = [auth, glue.login(), backend, new HutongError('ERR_SESSION_INVALID')];
export type Store = SessionStore['getSession'];
// @ts-expect-error: not an exported name
import type { Nope } from '@hutong/node-sdk';
`;
    const cases = [
      ['esm.mts', { module: 'nodenext', moduleResolution: 'nodenext' }],
      ['cjs.cts', { module: 'nodenext', moduleResolution: 'nodenext' }],
      ['bundler.ts', { module: 'esnext', moduleResolution: 'bundler' }],
    ];
    for (const [file, options] of cases) {
      const dir = join(sdkDir, `types-${file.split('.')[0]}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, file), consumer);
      await writeFile(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            ...options,
            target: 'es2022',
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            types: ['node'],
          },
          files: [file],
        }),
      );
      const result = node(dir, [tsc, '-p', 'tsconfig.json']);
      assert.equal(result.code, 0, `${file}: ${result.stdout}${result.stderr}`);
    }
  });

  test("bad input: an unknown subpath gets Node's own error", () => {
    const result = node(sdkDir, ['-e', "require('@hutong/node-sdk/nope')"]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
    const esm = node(sdkDir, ['--input-type=module', '-e', "await import('@hutong/server')"]);
    assert.match(esm.stderr, /ERR_MODULE_NOT_FOUND|Cannot find package/);
  });

  test('bad input: hutong start with a store whose driver is not installed exits 2 naming it', () => {
    const result = spawnSync('npx', ['--no-install', 'hutong', 'start'], {
      cwd: serverDir,
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        ...process.env,
        HUTONG_APPID: APPID,
        HUTONG_APP_SECRET: SECRET,
        HUTONG_TUNNEL_SIGNATURE_KEY: TUNNEL_KEY,
        HUTONG_STORE: 'postgres',
        HUTONG_STORE_URL: 'postgres://127.0.0.1:1/none',
      },
    });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /install pg to use HUTONG_STORE=postgres/);
  });

  test('bad input: hutong start with no configuration says which settings are required', () => {
    const env = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('HUTONG_')) delete env[key];
    const result = spawnSync('npx', ['--no-install', 'hutong', 'start'], {
      cwd: serverDir,
      encoding: 'utf8',
      env,
      timeout: 30_000,
    });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /HUTONG_APPID/);
  });
});
