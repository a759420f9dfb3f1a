/**
 * The published builds, built into a temp dir: the mini program file runs in a VM context holding
 * only what a mini program's logic layer has, and the ESM build imports in Node.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { buildClient } from '../scripts/build.mjs';

const SESSION_KEY = 'weapp_session_F2C224D4-2BCE-4C64-AF9F-A6D872000D1A';
const LOGIN_URL = 'https://biz.example.com/weapp/login';
const TUNNEL_URL = 'https://biz.example.com/weapp/tunnel';
const SOCKET_URL = 'wss://biz.example.com/ws';

type Callback = (result: any) => void;

/** A `wx` answering like WeChat would: a login code, a business server, sync storage, SocketTasks. */
function fakeWx() {
  const storage = new Map<string, unknown>();
  const requests: { url: string; header: Record<string, string> | undefined }[] = [];
  const sockets: { url: string; closed: boolean }[] = [];
  const later = (fn: () => void) => void setTimeout(fn, 0);
  const reply = (url: string) => {
    if (url === LOGIN_URL) return { code: 0, data: { skey: 'k', userinfo: { openId: 'o' } } };
    if (url === TUNNEL_URL) return { code: 0, data: { connectUrl: SOCKET_URL } };
    return { code: 0, data: null };
  };
  const wx = {
    login: (options: { success: Callback }) => later(() => options.success({ code: 'wx-code' })),
    checkSession: (options: { success: Callback }) => later(() => options.success({})),
    getUserInfo: (options: { fail: Callback }) => later(() => options.fail({ errMsg: 'getUserInfo:fail' })),
    request: (options: {
      url: string;
      method?: string;
      header?: Record<string, string>;
      success: Callback;
    }) => {
      requests.push({ url: options.url, header: options.header });
      later(() => options.success({ statusCode: 200, data: reply(options.url), header: {} }));
    },
    getStorageSync: (key: string) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key: string, value: unknown) => void storage.set(key, value),
    removeStorageSync: (key: string) => void storage.delete(key),
    connectSocket: (options: { url: string }) => {
      const socket = { url: options.url, closed: false };
      sockets.push(socket);
      const listeners: Record<string, Callback> = {};
      const on = (event: string) => (fn: Callback) => {
        listeners[event] = fn;
      };
      later(() => listeners['open']?.({}));
      return {
        send: () => {},
        close: () => {
          socket.closed = true;
          later(() => listeners['close']?.({ code: 1000, reason: '' }));
        },
        onOpen: on('open'),
        onMessage: on('message'),
        onClose: on('close'),
        onError: on('error'),
      };
    },
    onAppHide: () => {},
    onAppShow: () => {},
    onNetworkStatusChange: () => {},
  };
  return { wx, storage, requests, sockets };
}

/**
 * Runs the mini program file as WeChat would: `module`/`exports`/`require` from the module wrapper
 * and the few globals the logic layer has. Host globals it must not touch are traps that record
 * any access, `typeof` included.
 */
function loadMiniprogram(code: string, wx: object) {
  const touched: string[] = [];
  const module = { exports: {} as Record<string, any> };
  const sandbox: Record<string, unknown> = {
    wx,
    setTimeout,
    clearTimeout,
    console,
    module,
    exports: module.exports,
    require: (name: string) => {
      throw new Error(`the mini program build required ${name}`);
    },
  };
  // A getter on the global object catches `fetch`, `typeof fetch` and `globalThis.fetch` alike.
  for (const name of ['window', 'document', 'process', 'fetch', 'WebSocket', 'localStorage', 'navigator']) {
    Object.defineProperty(sandbox, name, { get: () => void touched.push(name) });
  }
  const context = vm.createContext(sandbox);
  vm.runInContext(code, context, { filename: 'miniprogram_npm/@hutong/client/index.js' });
  return { exports: module.exports, touched };
}

let outDir: string;
let miniprogramCode: string;

before(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'hutong-client-build-'));
  await buildClient({ outDir, types: false });
  miniprogramCode = await readFile(join(outDir, 'miniprogram_dist/index.js'), 'utf8');
});

after(async () => {
  await rm(outDir, { recursive: true, force: true });
});

describe('miniprogram_dist/index.js', () => {
  test('is one self-contained CommonJS file naming no browser or Node global', () => {
    for (const name of ['window', 'document', 'process', 'fetch', 'globalThis', 'require(']) {
      assert.ok(!miniprogramCode.includes(name), `the mini program build mentions ${name}`);
    }
    assert.doesNotMatch(miniprogramCode, /^\s*(import|export)\s/m);
  });

  test('loads with only wx, timers and console, and exports the Wafer API', () => {
    const { exports, touched } = loadMiniprogram(miniprogramCode, fakeWx().wx);
    assert.deepEqual(touched, []);
    for (const name of ['setLoginUrl', 'login', 'loginWithCode', 'request', 'clearSession', 'createClient']) {
      assert.equal(typeof exports[name], 'function', name);
    }
    for (const name of ['Tunnel', 'LoginError', 'RequestError']) {
      assert.equal(typeof exports[name], 'function', name);
    }
    assert.equal(typeof exports['Session'].get, 'function');
    for (const name of [
      'ERR_INVALID_PARAMS',
      'ERR_WX_LOGIN_FAILED',
      'ERR_WX_GET_USER_INFO',
      'ERR_LOGIN_FAILED',
      'ERR_LOGIN_SESSION_NOT_RECEIVED',
      'ERR_SESSION_INVALID',
      'ERR_CHECK_LOGIN_FAILED',
    ]) {
      assert.match(exports[name], /^ERR_[A-Z_]+$/, name);
    }
  });

  test('logs in on wx, keeps the session under the Wafer key, and opens a tunnel', async () => {
    const host = fakeWx();
    const { exports, touched } = loadMiniprogram(miniprogramCode, host.wx);
    exports['setLoginUrl'](LOGIN_URL);
    const userInfo = await exports['login']();
    assert.deepEqual({ ...userInfo }, { openId: 'o' });
    assert.equal(host.requests[0]?.url, LOGIN_URL);
    assert.equal(host.requests[0]?.header?.['X-WX-Code'], 'wx-code');
    const stored = host.storage.get(SESSION_KEY) as { skey: string; userInfo: unknown };
    assert.equal(stored.skey, 'k');
    assert.deepEqual({ ...(stored.userInfo as object) }, { openId: 'o' });
    assert.equal(exports['Session'].get().skey, 'k');

    const response = await exports['request']({ url: 'https://biz.example.com/weapp/user' });
    assert.equal(response.statusCode, 200);
    assert.equal(host.requests[1]?.header?.['X-WX-Skey'], 'k');

    const tunnel = new exports['Tunnel'](TUNNEL_URL);
    const connected = new Promise<void>((resolve) => tunnel.on('connect', resolve));
    tunnel.open();
    await connected;
    assert.equal(tunnel.status, 'ACTIVE');
    assert.match(host.sockets[0]?.url ?? '', /^wss:\/\/biz\.example\.com\/ws\?/);
    tunnel.close();
    assert.equal(tunnel.status, 'CLOSED');
    assert.equal(host.sockets[0]?.closed, true);
    assert.deepEqual(touched, []);
  });
});

describe('dist/esm', () => {
  test('imports in Node, one module per export of package.json', async () => {
    // The package's own package.json says "type": "module"; the temp dir needs the same.
    await writeFile(join(outDir, 'package.json'), JSON.stringify({ type: 'module' }));
    const load = (path: string) => import(pathToFileURL(join(outDir, 'dist/esm', path)).href);
    const main = await load('index.js');
    assert.equal(typeof main.createClient, 'function');
    assert.equal(typeof main.Tunnel, 'function');
    assert.equal(typeof (await load('core/index.js')).createClient, 'function');
    assert.equal(typeof (await load('wx.js')).createWxPlatform, 'function');
    assert.equal(typeof (await load('browser.js')).createBrowserPlatform, 'function');
    assert.equal(typeof (await load('node.js')).createNodePlatform, 'function');
  });
});
