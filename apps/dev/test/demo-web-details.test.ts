/**
 * The demo pages' details a new user notices, in headless Chromium against the dev stack: the IM
 * connection state and the default name in the page's language, the dashboard's time axis in
 * Chinese, the reconnect toast clear of the send button, a one-row header on a phone, and the
 * 一笔到底 counter after a replay. Screenshots go to test-results/demos-details/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { DevStack } from '../src/stack.js';
import { chromiumMissing, launchChromium, screenshotDir, userPage } from './browser-fixture.js';
import { type DemoStack, startDemoStack } from './demo-stack-fixture.js';

const TOKEN = 'dashboard-token-for-the-details-test';
const screenshots = screenshotDir('demos-details');
const skip = chromiumMissing();
const PHONE = { width: 390, height: 844 };

/** The page's globals the test reads in `page.evaluate` (the browser's, not Node's). */
declare const window: { __labels?: string[]; scrollTo(x: number, y: number): void };
declare const document: {
  querySelector(s: string): any;
  documentElement: { scrollWidth: number };
  body: { scrollHeight: number };
};
declare const MutationObserver: new (callback: () => void) => { observe(el: unknown, init: object): void };

type Box = { x: number; y: number; width: number; height: number };
const intersects = (a: Box, b: Box): boolean =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('demo page details in headless Chromium', { skip }, () => {
  let stack: DevStack;
  let browser: Browser;
  let demo: DemoStack;
  let zh: { context: BrowserContext; page: Page };
  let en: { context: BrowserContext; page: Page };

  const shot = (page: Page, name: string) => page.screenshot({ path: join(screenshots, `${name}.png`) });
  const open = (page: Page, path: string) => demo.open(page, path);

  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    browser = await launchChromium();
    demo = await startDemoStack('demo-details', TOKEN);
    stack = demo.stack;
    zh = await userPage(browser, 'zh', { locale: 'zh-CN', viewport: { width: 1100, height: 720 } });
    en = await userPage(browser, 'en', { locale: 'en-US', viewport: { width: 1100, height: 720 } });
  });

  after(async () => {
    await browser?.close();
    await demo?.close();
  });

  test('a user without a chosen name is called 用户 … in Chinese and User … in English', async () => {
    await open(zh.page, '/');
    await open(en.page, '/');
    assert.match((await zh.page.textContent('#my-name')) ?? '', /^用户 \S{4}$/);
    const english = (await en.page.textContent('#my-name')) ?? '';
    assert.match(english, /^User \S{4}$/);
    assert.equal(await en.page.inputValue('#name'), english, 'the name field shows the same name');
    // Another user's default name (the chat room's members) is in the reader's language too.
    await open(zh.page, '/chat/');
    await open(en.page, '/chat/');
    for (const page of [zh.page, en.page])
      await page.waitForFunction(() => document.querySelector('#members li + li') !== null);
    const members = async (page: Page) => (await page.locator('#members li').allTextContents()).join(' | ');
    assert.match(
      (await zh.page.textContent('#members')) ?? '',
      /^用户 \S{4}用户 \S{4}$/,
      await members(zh.page),
    );
    assert.match(
      (await en.page.textContent('#members')) ?? '',
      /^User \S{4}User \S{4}$/,
      await members(en.page),
    );
  });

  test('IM: the connection state reads 在线 / Online, and 正在重连… while the connection is back in a moment', async () => {
    const before = demo.imSockets.length;
    await open(zh.page, '/im-chat/');
    await zh.page.waitForSelector('body[data-im="online"]');
    await open(en.page, '/im-chat/');
    await en.page.waitForSelector('body[data-im="online"]');
    assert.equal(await zh.page.textContent('#im-state'), '在线');
    assert.equal(await en.page.textContent('#im-state'), 'Online');

    // Every label the page shows from here on, however briefly.
    await zh.page.evaluate(() => {
      const el = document.querySelector('#im-state');
      window.__labels = [];
      new MutationObserver(() => window.__labels!.push(el.textContent)).observe(el, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    demo.imSockets[before]!.destroy();
    await zh.page.waitForFunction(() => (window.__labels ?? []).includes('在线'), undefined, {
      timeout: 15_000,
    });
    const labels = await zh.page.evaluate(() => window.__labels ?? []);
    assert.ok(labels.includes('正在重连…'), `a reconnecting label in Chinese (${labels.join(', ')})`);
    assert.ok(
      labels.every((label) => !/^[a-z]+$/.test(label)),
      `no raw state names (${labels.join(', ')})`,
    );
    await shot(zh.page, 'im-state-zh');
  });

  test('chat room: the reconnect toast does not cover the send button, on a desktop and on a phone', async () => {
    const phone = await userPage(browser, 'phone', { locale: 'zh-CN', viewport: PHONE });
    for (const [page, name] of [
      [zh.page, 'desktop'],
      [phone.page, 'phone'],
    ] as const) {
      const before = demo.tunnelSockets.length;
      await open(page, '/chat/');
      await page.waitForSelector('body[data-tunnel="active"]');
      // On the phone, scrolled to the bottom: where the send button is when one is typing.
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      demo.tunnelSockets[before]!.destroy();
      const toast = page.locator('.toast-ok', { hasText: '已重连，没有漏掉消息。' });
      await toast.waitFor({ timeout: 15_000 });
      const toastBox = await toast.boundingBox();
      const sendBox = await page.locator('#say button[type="submit"]').boundingBox();
      assert.ok(toastBox && sendBox, `${name}: both are on the page`);
      assert.ok(
        !intersects(toastBox, sendBox),
        `${name}: toast ${JSON.stringify(toastBox)} clear of send ${JSON.stringify(sendBox)}`,
      );
      await shot(page, `chat-toast-${name}`);
    }
    await phone.context.close();
  });

  test('at 390 × 844 the header is one compact row on every page, in both languages', async () => {
    for (const locale of ['zh-CN', 'en-US']) {
      const { context, page } = await userPage(browser, `phone-${locale}`, { locale, viewport: PHONE });
      for (const path of ['/', '/chat/', '/doodle/', '/im-chat/']) {
        await open(page, path);
        const box = await page.locator('header.top').boundingBox();
        assert.ok(box, `${locale} ${path}: a header`);
        assert.ok(box.height <= 64, `${locale} ${path}: the header is ${box.height} px high`);
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(wide <= PHONE.width, `${locale} ${path}: the page is ${wide} px wide`);
        // Every page stays reachable: the last link can be scrolled to and tapped.
        await page.locator('header.top nav a[href="/admin/"]').scrollIntoViewIfNeeded();
        assert.ok(await page.locator('header.top nav a[href="/admin/"]').isVisible());
      }
      await shot(page, `phone-${locale}`);
      await context.close();
    }
  });

  test('dashboard: the time axis reads 10 分钟前 … 现在 in Chinese, -10m … now in English', async () => {
    for (const [locale, start, now] of [
      ['zh-CN', '10 分钟前', '现在'],
      ['en-US', '-10m', 'now'],
    ] as const) {
      const { context, page } = await userPage(browser, `admin-${locale}`, {
        locale,
        viewport: { width: 1200, height: 900 },
      });
      await page.goto(`${stack.url}/admin/`);
      await page.waitForSelector('#login:not([hidden])');
      await page.fill('#token', TOKEN);
      await page.click('#login button');
      for (const chart of ['#chart-messages', '#chart-logins']) {
        await page.waitForSelector(`${chart} text[data-axis="now"]`);
        assert.equal(await page.textContent(`${chart} text[data-axis="start"]`), start);
        assert.equal(await page.textContent(`${chart} text[data-axis="now"]`), now);
      }
      await shot(page, `admin-${locale}`);
      await context.close();
    }
  });

  test('一笔到底: after a replay the counter shows the drawing’s points', async () => {
    const page = zh.page;
    await open(page, '/doodle/');
    await page.waitForSelector('#drawings li.empty:not(.loading)');
    const box = (await page.locator('#canvas').boundingBox())!;
    await page.mouse.move(box.x + 60, box.y + 200);
    await page.mouse.down();
    for (let i = 1; i <= 30; i++) await page.mouse.move(box.x + 60 + i * 12, box.y + 200 + (i % 5) * 15);
    await page.mouse.up();
    const drawn = (await page.textContent('#points')) ?? '';
    const points = Number(/^(\d+) \/ 5000 个点$/.exec(drawn)?.[1]);
    assert.ok(points > 10, `a stroke was drawn (${drawn})`);
    await page.click('#save');
    await page.waitForSelector('#drawings li.item');

    await page.reload();
    await page.waitForSelector('#drawings li.item');
    assert.equal(await page.textContent('#points'), '0 / 5000 个点');
    await page.click('#drawings li.item button.replay');
    await page.waitForSelector('body[data-replay="done"]', { timeout: 10_000 });
    assert.equal(await page.textContent('#points'), `${points} / 5000 个点`);
    assert.match((await page.textContent('#drawings li.item .meta')) ?? '', new RegExp(`${points} / 5000`));
    await shot(page, 'doodle-replayed');
  });
});
