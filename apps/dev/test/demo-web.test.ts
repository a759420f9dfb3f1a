/**
 * The demo pages as people use them: headless Chromium against the dev stack, two browser contexts
 * as two users (A in Chinese, B in English). Chat room both ways with a dropped connection, 一笔到底
 * draw → save → reload → replay and the other user seeing none of it, IM with an offline receiver,
 * ticks and scroll-back, and the dashboard counting. Bad input on each page: a tap instead of a
 * stroke, a stroke too long, a damaged drawing, HTML in chat, a stale session. Screenshots go to
 * test-results/demos/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WAFER_SESSION_STORAGE_KEY } from '@hutong/protocol/headers';
import Database from 'better-sqlite3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { DevStack } from '../src/stack.js';
import { chromiumMissing, launchChromium, screenshotDir, userPage, watchPage } from './browser-fixture.js';
import { type DemoStack, startDemoStack } from './demo-stack-fixture.js';

const TOKEN = 'dashboard-token-for-the-browser-test';
const screenshots = screenshotDir('demos');
const skip = chromiumMissing();

/** The page's globals the test reads in `page.evaluate` (the browser's, not Node's). */
interface Storage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}
declare const window: { __xss?: unknown; localStorage: Storage };
declare const document: { querySelector(s: string): any; querySelectorAll(s: string): any[] };
declare const localStorage: Storage;
declare const PointerEvent: new (type: string, init: object) => unknown;

describe('demo pages in headless Chromium', { skip }, () => {
  let stack: DevStack;
  let browser: Browser;
  let demo: DemoStack;
  let a: { context: BrowserContext; page: Page };
  let b: { context: BrowserContext; page: Page };

  /** The viewport as a user sees it (a full-page capture would stretch the pages' 100vh layouts). */
  const shot = (page: Page, name: string) => page.screenshot({ path: join(screenshots, `${name}.png`) });
  const open = (page: Page, path: string) => demo.open(page, path);

  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    browser = await launchChromium();
    demo = await startDemoStack('demo-web', TOKEN);
    stack = demo.stack;
    a = await userPage(browser, 'A', { locale: 'zh-CN', viewport: { width: 1100, height: 720 } });
    b = await userPage(browser, 'B', { locale: 'en-US', viewport: { width: 1100, height: 720 } });
  });

  after(async () => {
    await browser?.close();
    await demo?.close();
  });

  test('pages are served as files: directories redirect to their index, nothing outside the build is reachable', async () => {
    const home = await fetch(`${stack.url}/`);
    assert.equal(home.status, 200);
    assert.match(home.headers.get('content-type') ?? '', /^text\/html/);
    const chat = await fetch(`${stack.url}/chat`, { redirect: 'manual' });
    assert.equal(chat.status, 301);
    assert.equal(chat.headers.get('location'), '/chat/');
    const outside = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      // A raw path: fetch would normalise the dots away.
      get(`${stack.url}/../../package.json`, { path: '/../../package.json' }, (response) => {
        let body = '';
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      }).on('error', reject);
    });
    assert.equal(outside.status, 403);
    assert.equal(JSON.parse(outside.body).error.code, 'ERR_FORBIDDEN');
    assert.equal((await fetch(`${stack.url}/no-such-page.html`)).status, 404);
  });

  test('home: each window is its own user and chooses a name (HTML in a name stays text)', async () => {
    for (const [user, name] of [
      [a, '阿丽'],
      [b, 'Bob <i>B</i>'],
    ] as const) {
      await open(user.page, '/');
      await user.page.fill('#name', name);
      await user.page.click('#save-name');
      await user.page.waitForFunction((n) => document.querySelector('#my-name')?.textContent === n, name);
    }
    assert.equal(await b.page.locator('#me i').count(), 0, 'the name is text, not markup');
    assert.equal(await a.page.textContent('h1'), '微信小程序后端演示');
    assert.equal(await b.page.textContent('h1'), 'A WeChat mini program backend, live');
    await a.page.fill('#name', '   ');
    await a.page.click('#save-name');
    assert.match((await a.page.textContent('#name-error')) ?? '', /昵称需要/);
    await shot(a.page, 'home');
  });

  test('chat room: both see who is here, speak both ways (HTML as text), a drop reconnects visibly, leave', async () => {
    await open(a.page, '/chat/');
    await a.page.waitForSelector('body[data-tunnel="active"]');
    await open(b.page, '/chat/');
    await b.page.waitForSelector('body[data-tunnel="active"]');
    for (const page of [a.page, b.page]) {
      await page.waitForFunction(() => document.querySelectorAll('#members li').length === 2);
    }
    assert.deepEqual(await b.page.locator('#members li').allTextContents(), ['阿丽', 'Bob <i>B</i>']);
    assert.equal(await a.page.textContent('#member-count'), '在线 2 人');

    const evil = '<img src=x onerror="window.__xss=1">hi <b>bold</b>';
    await a.page.fill('#word', evil);
    await a.page.press('#word', 'Enter');
    await b.page.waitForFunction(
      (text) => [...document.querySelectorAll('#messages .word')].some((el) => el.textContent === text),
      evil,
    );
    assert.equal(await b.page.locator('#messages img, #messages b').count(), 0, 'no markup from chat text');
    assert.equal(await b.page.evaluate(() => window.__xss), undefined);
    await b.page.fill('#word', 'Hello 阿丽');
    await b.page.press('#word', 'Enter');
    await a.page.waitForFunction(() =>
      [...document.querySelectorAll('#messages .word')].some((el) => el.textContent === 'Hello 阿丽'),
    );
    await a.page.waitForFunction(() =>
      document.querySelector('#messages li.system')?.textContent?.includes('进入了聊天室'),
    );

    // The server side drops A's TCP connection: the page says so, resumes, and misses nothing.
    demo.tunnelSockets[0]!.destroy();
    await a.page.waitForSelector('.toast-ok >> text=已重连，没有漏掉消息。', { timeout: 15_000 });
    await a.page.waitForSelector('body[data-tunnel="active"]');
    await b.page.fill('#word', 'after the drop');
    await b.page.press('#word', 'Enter');
    await a.page.waitForFunction(() =>
      [...document.querySelectorAll('#messages .word')].some((el) => el.textContent === 'after the drop'),
    );
    await shot(a.page, 'chat-zh');
    await shot(b.page, 'chat-en');
  });

  test('dashboard: the admin token is asked for, and the counts change as users come and go', async () => {
    const admin = await userPage(browser, 'admin', {
      locale: 'en-US',
      viewport: { width: 1200, height: 900 },
    });
    const { page } = admin;
    await page.goto(`${stack.url}/admin/`);
    await page.waitForSelector('#login:not([hidden])');
    await page.fill('#token', 'not-the-token-at-all');
    await page.click('#login button');
    await page.waitForFunction(
      () => document.querySelector('#login-error')?.textContent === 'That token is not right.',
    );
    await page.fill('#token', TOKEN);
    await page.click('#login button');
    const sockets = () =>
      page.evaluate(() => Number(document.querySelector('[data-metric="sockets"] .value')?.textContent));
    await page.waitForFunction(
      () => Number(document.querySelector('[data-metric="sockets"] .value')?.textContent) === 2,
    );
    assert.equal(await page.locator('#nodes tr[data-node]').count(), 1);
    // B leaves the room: one socket fewer on the dashboard within a couple of samples.
    await b.page.click('#leave');
    await a.page.waitForFunction(
      () => document.querySelector('#members li') && document.querySelectorAll('#members li').length === 1,
    );
    await page.waitForFunction(
      () => Number(document.querySelector('[data-metric="sockets"] .value')?.textContent) === 1,
      undefined,
      {
        timeout: 10_000,
      },
    );
    assert.equal(await sockets(), 1);
    assert.ok(
      (await page.locator('#chart-messages path[data-series]').count()) > 0,
      'message rates are drawn',
    );
    await shot(page, 'admin');
    await admin.context.close();
  });

  test('一笔到底: draw, save, reload and replay; a tap and a too-long stroke are refused on the page', async () => {
    const page = a.page;
    await open(page, '/doodle/');
    await page.waitForSelector('#drawings li.empty:not(.loading)');
    // A tap is not a stroke.
    await page.click('#canvas', { position: { x: 100, y: 100 } });
    await page.click('#save');
    await page.waitForSelector('#board-status.error');
    assert.equal(await page.textContent('#board-status'), '一笔至少要有两个点：画一条线，而不是一个点。');

    const box = (await page.locator('#canvas').boundingBox())!;
    await page.mouse.move(box.x + 60, box.y + 200);
    await page.mouse.down();
    for (let i = 1; i <= 40; i++) {
      await page.mouse.move(box.x + 60 + i * 10, box.y + 200 + Math.sin(i / 4) * 80);
    }
    await page.mouse.up();
    await page.fill('#title', '波浪 <script>');
    await page.click('#save');
    await page.waitForSelector('#drawings li.item');
    assert.equal(await page.textContent('#drawings li.item .title'), '波浪 <script>');

    await page.reload();
    await page.waitForSelector('#drawings li.item');
    await page.click('#drawings li.item button.replay');
    await page.waitForSelector('body[data-replay="done"]', { timeout: 10_000 });
    const inked = await page.evaluate(() => {
      const canvas = document.querySelector('#canvas');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height)
        .data as Uint8ClampedArray;
      let count = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) count += 1;
      return count;
    });
    assert.ok(inked > 500, `the replay drew the stroke (${inked} pixels)`);
    await shot(page, 'doodle');

    // A stroke longer than 5,000 points stops recording, with a message.
    await page.evaluate(() => {
      // No helper functions in here: the test's compiler would name them with a helper the page lacks.
      const canvas = document.querySelector('#canvas');
      const r = canvas.getBoundingClientRect();
      for (let i = 0; i <= 5100; i++) {
        const type = i === 0 ? 'pointerdown' : i === 5100 ? 'pointerup' : 'pointermove';
        const init = {
          clientX: r.left + 5 + (i % 500),
          clientY: r.top + 5 + Math.floor(i / 500) * 20,
          pointerId: 1,
          bubbles: true,
        };
        canvas.dispatchEvent(new PointerEvent(type, init));
      }
    });
    assert.equal(await page.textContent('#board-status'), '这一笔太长了（最多 5000 个点），已停止记录。');
    assert.match((await page.textContent('#points')) ?? '', /^5000 \//);
  });

  test('一笔到底: the other user sees none of it and cannot read it; a damaged drawing says so; delete', async () => {
    const id = await a.page.getAttribute('#drawings li.item', 'data-id');
    assert.ok(id);
    await open(b.page, '/doodle/');
    await b.page.waitForSelector('#drawings li.empty:not(.loading)');
    assert.equal(
      await b.page.textContent('#drawings li.empty'),
      'No drawings yet. Draw a stroke and save it.',
    );
    const status = await b.page.evaluate(
      async ([drawingId, key]) => {
        const skey = JSON.parse(localStorage.getItem(key!) ?? '{}').skey;
        const response = await fetch(`/weapp/drawings/${drawingId}`, { headers: { 'x-wx-skey': skey } });
        return [response.status, ((await response.json()) as { error: { code: string } }).error.code];
      },
      [id, WAFER_SESSION_STORAGE_KEY],
    );
    assert.deepEqual(status, [404, 'ERR_DEMO_NOT_FOUND']);

    const db = new Database(join(demo.dataDir, 'demos.sqlite'));
    db.prepare('update hutong_demo_drawings set actions = ? where id = ?').run(
      '[["m",1,1,0],["m",2,2,5]]',
      id,
    );
    db.close();
    await a.page.click('#drawings li.item button.replay');
    await a.page.waitForSelector('body[data-replay="damaged"]');
    assert.equal(await a.page.textContent('#board-status'), '这幅画已损坏，无法回放。');

    a.page.once('dialog', (dialog) => void dialog.accept());
    await a.page.click('#drawings li.item button.delete');
    await a.page.waitForSelector('#drawings li.empty:not(.loading)');
  });

  test('a stale session in a tab: the next call signs in again, says so, and does what was asked', async () => {
    const page = a.page;
    await page.evaluate((key) => {
      const stored = JSON.parse(localStorage.getItem(key) ?? '{}');
      localStorage.setItem(
        key,
        JSON.stringify({ ...stored, skey: 'stale-session-from-another-day-0000000' }),
      );
    }, WAFER_SESSION_STORAGE_KEY);
    const box = (await page.locator('#canvas').boundingBox())!;
    await page.mouse.move(box.x + 100, box.y + 100);
    await page.mouse.down();
    await page.mouse.move(box.x + 200, box.y + 150, { steps: 10 });
    await page.mouse.up();
    await page.click('#save');
    await page.waitForSelector('.toast-warn >> text=登录已过期，已自动重新登录。');
    await page.waitForSelector('#drawings li.item');
  });

  test('IM: offline messages arrive at login; ticks go ✓ → ✓✓ → read; a reply; scroll back; a group', async () => {
    // B has been here before, then closed the page.
    await open(b.page, '/im-chat/');
    await b.page.waitForSelector('body[data-im="online"]');
    await b.page.close();

    const A = a.page;
    await open(A, '/im-chat/');
    await A.waitForSelector('body[data-im="online"]');
    await A.click('#contacts button:has-text("Bob <i>B</i>")');
    for (const text of ['第一条 <b>1</b>', '第二条']) {
      await A.fill('#text', text);
      await A.press('#text', 'Enter');
    }
    await A.waitForFunction(
      () => document.querySelectorAll('#messages .tick[data-status="accepted"]').length === 2,
    );

    const B = await b.context.newPage();
    watchPage(B, 'B2');
    b.page = B;
    await open(B, '/im-chat/');
    await B.waitForSelector('#contacts button:has-text("阿丽") .badge');
    assert.equal(await B.textContent('#contacts button:has-text("阿丽") .badge'), '2');
    await B.click('#contacts button:has-text("阿丽")');
    await B.waitForFunction(() => document.querySelectorAll('#messages .bubble').length === 2);
    assert.deepEqual(await B.locator('#messages .text').allTextContents(), ['第一条 <b>1</b>', '第二条']);
    await A.waitForFunction(
      () => document.querySelectorAll('#messages .tick[data-status="read"]').length === 2,
      undefined,
      {
        timeout: 10_000,
      },
    );
    await B.fill('#text', 'Got them');
    await B.press('#text', 'Enter');
    await A.waitForFunction(() =>
      [...document.querySelectorAll('#messages .text')].some((el) => el.textContent === 'Got them'),
    );
    await B.waitForSelector('#messages .tick[data-status="delivered"], #messages .tick[data-status="read"]');

    // Enough for two pages: B opens the conversation afresh on the newest 20 and scrolls back.
    for (let i = 1; i <= 22; i++) {
      await A.fill('#text', `#${i}`);
      await A.press('#text', 'Enter');
    }
    await A.waitForFunction(
      () => document.querySelectorAll('#messages .tick[data-status="sending"]').length === 0,
    );
    await B.reload();
    await B.waitForSelector('body[data-im="online"]');
    await B.click('#contacts button:has-text("阿丽")');
    await B.waitForFunction(() => document.querySelectorAll('#messages .bubble').length === 20);
    await B.waitForSelector('#older:not([hidden])');
    // A DOM click: Playwright's click scrolls the button into view first, and the thread reaching
    // its top loads the older page by itself (then the button hides, and the click would wait).
    await B.$eval('#older', (button) => (button as unknown as { click(): void }).click());
    await B.waitForFunction(() => document.querySelectorAll('#messages .bubble').length === 25);
    const seqs = await B.$$eval('#messages .bubble', (els) =>
      els.map((el) => Number(el.getAttribute('data-seq'))),
    );
    assert.deepEqual(
      seqs,
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    await shot(A, 'im-zh');
    await shot(B, 'im-en');

    // A group with B: B's page learns of it from the first message.
    await A.click('#new-group summary');
    await A.fill('#group-name', '周末 <爬山>');
    await A.check('#group-members input[type="checkbox"]');
    await A.click('#group-form button');
    await A.waitForSelector('#groups button.open');
    await A.fill('#text', '群里好');
    await A.press('#text', 'Enter');
    await B.waitForSelector('#groups button:has-text("周末 <爬山>") .badge', { timeout: 10_000 });
    await B.click('#groups button:has-text("周末 <爬山>")');
    await B.waitForFunction(() =>
      [...document.querySelectorAll('#messages .text')].some((el) => el.textContent === '群里好'),
    );
    assert.equal(await B.textContent('#messages .from'), '阿丽');
  });

  test('IM in a second tab of the same user takes over; the first tab says so and can take it back', async () => {
    const first = b.page;
    const second = await b.context.newPage();
    watchPage(second, 'B3');
    await open(second, '/im-chat/');
    await second.waitForSelector('body[data-im="online"]');
    await first.waitForSelector('#banner >> text=IM is open in another window.');
    await first.click('#take-over');
    await first.waitForSelector('body[data-im="online"]');
    await second.waitForSelector('#banner >> text=IM is open in another window.');
    await second.close();
  });
});
