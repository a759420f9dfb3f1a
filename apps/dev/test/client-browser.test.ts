/**
 * The browser platform in a real headless Chromium against the dev stack: two browser contexts
 * are two users (each its own localStorage, so the simulator login makes a different user). The
 * page and an esbuild bundle of the client are served by the stack itself, so the API is
 * same-origin.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { BoundClient, createClient, Tunnel } from '@hutong/client/core';
import { WAFER_SESSION_STORAGE_KEY } from '@hutong/protocol/headers';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { DevStack } from '../src/stack.js';
import { chromiumMissing, launchChromium, screenshotDir, userPage } from './browser-fixture.js';
import { startTestStack } from './stack-fixture.js';

const root = new URL('../../../', import.meta.url).pathname;
const screenshots = screenshotDir('client-browser');

/**
 * The page's module: the client's core and browser platform on `window.hutong`, and a log that
 * records (and shows, for the screenshot) the window's `online`/`offline` events and whatever the
 * test reports.
 */
const entry = `
import { createClient } from './packages/client/src/core/index.ts';
import { createBrowserPlatform } from './packages/client/src/browser.ts';
const log = [];
const report = (line) => {
  log.push(line);
  document.getElementById('log').textContent += line + '\\n';
};
document.getElementById('who').textContent += ' · ' + new URLSearchParams(location.search).get('user');
addEventListener('online', () => report('window online'));
addEventListener('offline', () => report('window offline'));
window.hutong = { createClient, createBrowserPlatform, log, report };
`;

const html = `<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>@hutong/client in Chromium</title><link rel="icon" href="data:,">
<script type="module" src="/__browser-test/client.js"></script></head>
<body style="font: 14px monospace"><h1 id="who">@hutong/client</h1><pre id="log"></pre></body></html>`;

/** What the test reads and writes on the page's `window`. */
interface PageGlobals {
  hutong: {
    createClient: typeof createClient;
    createBrowserPlatform: (options: { login: { simulator: string } }) => BoundClient['platform'];
    log: string[];
    report(line: string): void;
  };
  client: BoundClient;
  tunnel: Tunnel;
  /** What the tunnel reported: `event payload` lines, and messages by type. */
  events: string[];
  messages: { type: string; content: any }[];
  localStorage: { getItem(key: string): string | null };
  navigator: { onLine: boolean };
}

/** The page's global, for code run in the page by `page.evaluate` and `waitForFunction` only. */
declare const window: PageGlobals;

const skip = chromiumMissing();

describe('@hutong/client/browser in headless Chromium against the dev stack', { skip }, () => {
  let stack: DevStack;
  let browser: Browser;
  let origin: string;
  /** The TCP socket under each tunnel's WebSocket, by tunnel id (the latest one). */
  const upgraded = new Map<string, Duplex>();
  const users: { name: string; context: BrowserContext; page: Page }[] = [];
  const A = () => users[0]!.page;
  const B = () => users[1]!.page;

  before(async () => {
    const started = Date.now();
    const [bundle, launched] = await Promise.all([
      build({
        stdin: { contents: entry, resolveDir: root, sourcefile: 'client-browser-entry.js', loader: 'js' },
        bundle: true,
        format: 'esm',
        platform: 'browser',
        conditions: ['hutong-src'],
        write: false,
        logLevel: 'silent',
      }),
      launchChromium(),
    ]);
    browser = launched;
    const js = bundle.outputFiles[0]!.text;
    stack = await startTestStack({ HUTONG_TUNNEL_HEARTBEAT: '1' }, (app) => {
      app.get('/__browser-test/', (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
      app.get('/__browser-test/client.js', (_request, reply) =>
        reply.type('text/javascript; charset=utf-8').send(js),
      );
      app.server.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
        const id = new URL(request.url ?? '/', 'http://x').searchParams.get('tunnelId');
        if (id) upgraded.set(id, socket);
      });
    });
    origin = stack.url;
    for (const name of ['A', 'B']) {
      const { context, page } = await userPage(browser, name);
      await page.goto(`${origin}/__browser-test/?user=${name}`);
      await page.waitForFunction(() => 'hutong' in window);
      await page.evaluate((origin) => {
        const g = window;
        g.client = g.hutong.createClient({
          platform: g.hutong.createBrowserPlatform({ login: { simulator: `${origin}/__wx` } }),
          loginUrl: `${origin}/weapp/login`,
        });
        g.events = [];
        g.messages = [];
      }, origin);
      users.push({ name, context, page });
    }
    process.stderr.write(
      `client-browser: bundle ${(js.length / 1024).toFixed(0)} KiB; setup ${Date.now() - started} ms\n`,
    );
  });

  after(async () => {
    mkdirSync(screenshots, { recursive: true });
    for (const { name, page } of users) {
      await page.screenshot({ path: join(screenshots, `user-${name}.png`), fullPage: true }).catch(() => {});
    }
    await browser?.close();
    await stack?.close();
  });

  /** Opens the chat room tunnel in a page; every event and message is recorded and shown. */
  const openTunnel = (page: Page) =>
    page.evaluate((origin) => {
      const g = window;
      g.tunnel = new g.client.Tunnel(`${origin}/weapp/tunnel`, {
        reconnectDelayMs: 50,
        maxReconnectDelayMs: 200,
      });
      g.tunnel.on('*', (type, payload) => {
        if (type === 'state') return;
        if (['connect', 'close', 'reconnecting', 'reconnect', 'error'].includes(type)) {
          g.events.push(payload === undefined ? type : `${type} ${JSON.stringify(payload)}`);
        } else g.messages.push({ type, content: payload });
        g.hutong.report(`tunnel ${type} ${JSON.stringify(payload) ?? ''}`);
      });
      g.tunnel.open();
    }, origin);

  const state = (page: Page) => page.evaluate(() => window.tunnel.state);
  const events = (page: Page) => page.evaluate(() => window.events);
  const messages = (page: Page, type: string) =>
    page.evaluate((type) => window.messages.filter((m) => m.type === type).map((m) => m.content), type);
  const waitFor = (page: Page, check: (arg: any) => boolean, arg?: unknown) =>
    page.waitForFunction(check, arg, { timeout: 5000, polling: 20 });
  const tunnelIdOf = (page: Page) =>
    page.evaluate(() => new URL(window.tunnel.socketUrl ?? 'ws://x/').searchParams.get('tunnelId') ?? '');

  const openIds: string[] = [];

  test('login (code only) keeps the session in localStorage; /weapp/user answers with the user', async () => {
    for (const page of [A(), B()]) {
      const loginRequest = page.waitForRequest((request) => request.url().includes('/weapp/login'));
      const result = await page.evaluate(async (key) => {
        const g = window;
        const userInfo = await g.client.login();
        const user = await g.client.request({ url: '/weapp/user' });
        g.hutong.report(`user ${JSON.stringify(user.data)}`);
        return { userInfo, stored: g.localStorage.getItem(key), user: user.data as any };
      }, WAFER_SESSION_STORAGE_KEY);
      assert.ok(result.stored, 'a session in localStorage');
      const stored = JSON.parse(result.stored) as { skey?: unknown };
      assert.equal(typeof stored.skey, 'string');
      assert.equal(result.user.code, 0, JSON.stringify(result.user));
      assert.equal(typeof result.user.data.openId, 'string');
      assert.equal(result.userInfo?.['openId'], result.user.data.openId, 'login answered with the same user');
      const headers = (await loginRequest).headers();
      assert.ok(headers['x-wx-code'], 'the code from the simulator');
      assert.equal(headers['x-wx-encrypted-data'], undefined, 'code only: no legacy user data');
      openIds.push(result.user.data.openId);
    }
    assert.notEqual(openIds[0], openIds[1], 'two contexts, two users');
  });

  test('chat room: both hear who entered, A speaks and B hears it', async () => {
    await openTunnel(A());
    await waitFor(A(), () => window.tunnel.state === 'active');
    await openTunnel(B());
    await waitFor(B(), () => window.tunnel.state === 'active');
    for (const page of [A(), B()]) {
      await waitFor(page, () => window.messages.some((m) => m.type === 'people' && m.content.total === 2));
    }
    const seenByA = await messages(A(), 'people');
    assert.deepEqual(
      seenByA.map((p) => [p.total, p.enter?.openId]),
      [
        [1, openIds[0]],
        [2, openIds[1]],
      ],
    );
    await A().evaluate(() => window.tunnel.emit('speak', { word: '你好' }));
    await waitFor(B(), () => window.messages.some((m) => m.type === 'speak'));
    const [heard] = await messages(B(), 'speak');
    assert.equal(heard.word, '你好');
    assert.equal(heard.who.openId, openIds[0]);
    assert.deepEqual(await events(A()), ['connect']);
    assert.deepEqual(await events(B()), ['connect']);
  });

  test('offline and back: the heartbeat notices the silent socket, no attempt until online, then a resume', async () => {
    // Chromium's offline emulation leaves an open WebSocket up but silent both ways (it even hides
    // the server closing it): the client learns of the dead network from the missing pong.
    const { context } = users[0]!;
    const id = await tunnelIdOf(A());
    const sockets = { opened: 0 };
    const count = () => {
      sockets.opened += 1;
    };
    A().on('websocket', count);
    await context.setOffline(true);
    await waitFor(A(), () => !window.navigator.onLine);
    await B().evaluate(() => window.tunnel.emit('speak', { word: '还在吗' }));
    await waitFor(A(), () => window.tunnel.state === 'reconnecting');
    await A().evaluate(() => window.tunnel.emit('speak', { word: '我回来了' }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await state(A()), 'reconnecting');
    assert.equal(sockets.opened, 0, 'no connection attempt while offline');
    // A code-only login has no WeChat name: the demo calls the user by a default one.
    assert.deepEqual(await messages(A(), 'speak'), [
      { who: { openId: openIds[0], nickName: `用户 ${openIds[0]!.slice(-4)}` }, word: '你好' },
    ]);

    await context.setOffline(false);
    await waitFor(A(), () => window.tunnel.state === 'active');
    await waitFor(A(), () =>
      window.messages.some((m) => m.type === 'speak' && m.content.word === '我回来了'),
    );
    A().off('websocket', count);
    assert.deepEqual(await events(A()), ['connect', 'reconnecting', 'reconnect {"resumed":true}']);
    assert.equal(await tunnelIdOf(A()), id, 'the same server-side tunnel');
    assert.equal(sockets.opened, 1, 'one attempt, once online');
    assert.deepEqual(
      (await messages(A(), 'speak')).map((m) => m.word),
      ['你好', '还在吗', '我回来了'],
      'what B said meanwhile, then what A queued, once each',
    );
    await waitFor(B(), () =>
      window.messages.some((m) => m.type === 'speak' && m.content.word === '我回来了'),
    );
    const log = await A().evaluate(() => window.hutong.log);
    assert.deepEqual(
      log.filter((line) => line.startsWith('window ')),
      ['window offline', 'window online'],
    );
  });

  test('the server drops the TCP connection: the tunnel resumes and nothing said meanwhile is lost', async () => {
    const id = await tunnelIdOf(A());
    const socket = upgraded.get(id);
    assert.ok(socket, 'the server saw the upgrade of A’s tunnel');
    socket.destroy();
    await B().evaluate(() => window.tunnel.emit('speak', { word: '断了吗' }));
    await waitFor(A(), () => window.messages.some((m) => m.type === 'speak' && m.content.word === '断了吗'));
    assert.deepEqual((await events(A())).slice(-2), ['reconnecting', 'reconnect {"resumed":true}']);
    assert.equal(await tunnelIdOf(A()), id);
    assert.deepEqual(
      (await messages(A(), 'speak')).map((m) => m.word),
      ['你好', '还在吗', '我回来了', '断了吗'],
    );
  });

  test('B closes: A sees who left', async () => {
    await B().evaluate(() => window.tunnel.close());
    assert.equal(await state(B()), 'closed');
    await waitFor(A(), () => window.messages.some((m) => m.type === 'people' && 'leave' in m.content));
    const last = (await messages(A(), 'people')).at(-1);
    assert.equal(last.total, 1);
    assert.equal(last.leave.openId, openIds[1]);
    assert.deepEqual(await events(B()), ['connect', 'close']);
    await A().evaluate(() => window.tunnel.close());
  });
});
