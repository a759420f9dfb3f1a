/**
 * 一笔到底 on the original app's routes, in headless Chromium: the doodle page with
 * `?session=weapp-session` uses @hutong/client's weapp-session dialect against the dev stack's
 * `/applet/session/paints` (the tutorial's server): the first request logs in with the signed
 * rawData, later ones send the code alone; a paint the original mini program saved for the same
 * user opens and replays in its own color; a stale code logs in again; delete; the link back to
 * Hutong's routes. Screenshot in test-results/demos/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WEAPP_SESSION_CODE_KEY } from '@hutong/client/core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { DevStack } from '../src/stack.js';
import { originalSaves } from './applet-fixture.js';
import { chromiumMissing, launchChromium, screenshotDir, userPage } from './browser-fixture.js';
import { startTestStack } from './stack-fixture.js';

const skip = chromiumMissing();
const screenshots = screenshotDir('demos');

declare const document: { querySelector(s: string): any };
declare const localStorage: {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
};

describe('一笔到底 on the original app’s routes (weapp-session) in headless Chromium', { skip }, () => {
  let stack: DevStack;
  let browser: Browser;
  let user: { context: BrowserContext; page: Page };
  /** The weapp-session headers of every request to the original app's routes, in order. */
  const seen: { path: string; code: string | undefined; login: boolean }[] = [];

  const stored = (page: Page, key: string) =>
    page.evaluate((k) => JSON.parse(localStorage.getItem(k) ?? 'null') as string | null, key);
  /** Opaque pixels of a color on the canvas (r, g, b each within 40). */
  const pixels = (page: Page, [r, g, b]: [number, number, number]) =>
    page.evaluate(
      ([r, g, b]) => {
        const canvas = document.querySelector('#canvas');
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height)
          .data as Uint8ClampedArray;
        let count = 0;
        for (let i = 0; i < data.length; i += 4) {
          const near = Math.abs(data[i]! - r!) < 40 && Math.abs(data[i + 1]! - g!) < 40;
          if (near && Math.abs(data[i + 2]! - b!) < 40 && data[i + 3]! > 200) count += 1;
        }
        return count;
      },
      [r, g, b],
    );

  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    browser = await launchChromium();
    stack = await startTestStack({}, (app) => {
      app.addHook('onRequest', async (request) => {
        if (!request.url.startsWith('/applet/')) return;
        const code = request.headers['x-wx-code'];
        seen.push({
          path: request.url,
          code: typeof code === 'string' ? code : undefined,
          login: request.headers['x-wx-rawdata'] !== undefined,
        });
      });
    });
    user = await userPage(browser, 'A', { locale: 'zh-CN', viewport: { width: 1100, height: 720 } });
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test('draw and save through weapp-session: one login with the signed rawData, then the code alone', async () => {
    const { page } = user;
    await page.goto(`${stack.url}/doodle/?session=weapp-session`);
    await page.waitForSelector('body[data-session="weapp-session"]');
    await page.waitForSelector('#drawings li.empty:not(.loading)');
    assert.equal(await page.isHidden('#title'), true, 'the original keeps no title');

    const box = (await page.locator('#canvas').boundingBox())!;
    await page.mouse.move(box.x + 80, box.y + 120);
    await page.mouse.down();
    for (let i = 1; i <= 30; i++)
      await page.mouse.move(box.x + 80 + i * 12, box.y + 120 + Math.sin(i / 3) * 60);
    await page.mouse.up();
    await page.click('#save');
    await page.waitForSelector('#drawings li.item');
    assert.equal(await page.textContent('#drawings li.item .title'), '无题');

    const code = await stored(page, WEAPP_SESSION_CODE_KEY);
    assert.ok(code, 'the code is the session, kept in localStorage');
    assert.ok(seen.length >= 3, 'list, save, list');
    assert.equal(seen[0]!.login, true, 'the first request logs in');
    assert.ok(
      seen.slice(1).every((r) => !r.login && r.code === code),
      'then the code alone',
    );
    assert.ok(
      seen.some((r) => r.path.endsWith('/save')),
      'saved through the original route',
    );
  });

  test('a paint the original mini program saved for this user opens and replays in its color', async () => {
    const { page } = user;
    const openid = await stored(page, 'hutong_sim_openid');
    assert.ok(openid);
    const original = await originalSaves(
      stack,
      openid,
      'from-the-original',
      [
        [40, 40],
        [200, 120],
        [320, 60],
      ],
      [255, 0, 0],
    );
    // The original app logged this user in with a new code, ending the page's (one code per user):
    // the page's next request is answered ERR_SESSION_EXPIRED and logs in again, unseen.
    await page.reload();
    await page.waitForSelector('#drawings li.item[data-id="from-the-original"]');
    await page.click('#drawings li.item[data-id="from-the-original"] button.replay');
    await page.waitForSelector('body[data-replay="done"]', { timeout: 10_000 });
    assert.ok((await pixels(page, [255, 0, 0])) > 200, 'the red stroke is on the canvas');
    await page.screenshot({ path: join(screenshots, 'doodle-weapp-session.png') });
    assert.notEqual(await stored(page, WEAPP_SESSION_CODE_KEY), original.code);
    assert.equal(seen.filter((r) => r.login).length, 3, 'the page, the original app, the page again');
  });

  test('delete; the link goes back to Hutong’s routes, where the original’s paints are not', async () => {
    const { page } = user;
    const ours = page.locator('#drawings li.item:not([data-id="from-the-original"])');
    page.once('dialog', (dialog) => void dialog.accept());
    await ours.locator('button.delete').click();
    await page.waitForFunction(() => document.querySelector('#drawings').children.length === 1);
    assert.deepEqual(
      (await stack.demos.store.paints((await stored(page, 'hutong_sim_openid'))!, 10)).map((p) => p.id),
      ['from-the-original'],
    );
    await page.click('#dialect');
    await page.waitForSelector('body[data-session="wafer"]');
    await page.waitForSelector('#drawings li.empty:not(.loading)');
    assert.equal(await page.isVisible('#title'), true);
  });
});
