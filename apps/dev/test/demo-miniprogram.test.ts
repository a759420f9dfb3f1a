/**
 * The demos' mini program (apps/demos/miniprogram) against the dev stack: its page files run in
 * node:vm as WeChat's logic layer would run them — `Page`, `App`, `getApp`, the simulator's `wx`,
 * `require('@hutong/client')` resolving to the built miniprogram_dist — and the test drives them
 * through their handlers as a user would, two phones at a time.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { fromCanvasActions } from '@hutong/demos/canvas-actions';
import type { SimWx } from '@hutong/wechat-sim';
import { buildClient } from '../../../packages/client/scripts/build.mjs';
import type { DevStack } from '../src/stack.js';
import { originalSaves } from './applet-fixture.js';
import { phone } from './client-fixture.js';
import { startTestStack, until } from './stack-fixture.js';

const root = fileURLToPath(new URL('../../demos/miniprogram/', import.meta.url));
const appJson = JSON.parse(readFileSync(join(root, 'app.json'), 'utf8')) as { pages: string[] };
const SDK = '@hutong/client';

type Handler = (this: Page, ...args: any[]) => any;
interface Page {
  route: string;
  /** The logic layer's `this.data`. */
  data: Record<string, any>;
  /** What the view got: `data` through JSON, as WeChat passes it to the render layer. */
  view: any;
  /** Every setData patch, in order (JSON copies). */
  patches: any[];
  setData(patch: Record<string, unknown>, callback?: () => void): void;
  [method: string]: any;
}

/** A fake `<canvas type="2d">` node recording what is drawn, with the time of each call. */
function fakeCanvas(width = 300, height = 200) {
  const calls: { op: string; at: number }[] = [];
  const record =
    (name: string) =>
    (...args: unknown[]) =>
      void calls.push({ op: `${name}(${args.join(',')})`, at: Date.now() });
  const ctx: Record<string, unknown> = {};
  for (const name of ['clearRect', 'beginPath', 'moveTo', 'lineTo', 'stroke', 'scale'])
    ctx[name] = record(name);
  const node = {
    width: 0,
    height: 0,
    getContext: (type: string) => (type === '2d' ? ctx : null),
    requestAnimationFrame: (fn: (time: number) => void) => setTimeout(() => fn(Date.now()), 16),
    cancelAnimationFrame: (id: NodeJS.Timeout) => clearTimeout(id),
  };
  const lines = () => calls.filter((c) => c.op.startsWith('lineTo('));
  return { node, calls, lines, info: { node, width, height } };
}

/**
 * One phone running the mini program: the simulator's `wx` with the few UI calls the pages make
 * recorded (toasts, modals, the canvas query), and the app's files loaded in their own context.
 */
class MiniProgram {
  readonly toasts: string[] = [];
  readonly modals: string[] = [];
  readonly canvas = fakeCanvas();
  readonly wx: SimWx & Record<string, any>;
  readonly #context: vm.Context;
  readonly #modules = new Map<string, { exports: any }>();
  readonly #pages = new Map<string, Record<string, unknown>>();
  readonly #open = new Set<Page>();

  /** `config` is the mini program's `config.js` besides `serverUrl` (e.g. `{session: 'weapp-session'}`). */
  constructor(
    stack: DevStack,
    nickName: string,
    private readonly sdkCode: string,
    config: Record<string, unknown> = {},
  ) {
    const wx = phone(stack, nickName).wx as SimWx & Record<string, any>;
    const { showToast, showModal } = wx;
    wx.showToast = (options: { title: string }) => {
      this.toasts.push(options.title);
      return showToast(options as never);
    };
    wx.showModal = (options: { title: string }) => {
      this.modals.push(options.title);
      return showModal(options as never);
    };
    wx.stopPullDownRefresh = () => {};
    wx.getWindowInfo = () => ({ pixelRatio: 2, windowWidth: 375, windowHeight: 667 });
    wx.createSelectorQuery = () => {
      const query = {
        select: () => query,
        fields: () => query,
        exec: (callback: (result: unknown[]) => void) => setImmediate(() => callback([this.canvas.info])),
      };
      return query;
    };
    this.wx = wx;
    let app: unknown;
    let defining = '';
    this.#context = vm.createContext({
      wx,
      console,
      setTimeout,
      clearTimeout,
      setInterval,
      clearInterval,
      App: (definition: unknown) => {
        app = definition;
      },
      getApp: () => app,
      Page: (definition: Record<string, unknown>) => void this.#pages.set(defining, definition),
      getCurrentPages: () => [...this.#open],
    });
    this.#modules.set(join(root, 'config.js'), { exports: { serverUrl: stack.url, ...config } });
    this.require('app.js');
    for (const route of appJson.pages) {
      defining = route;
      this.require(`${route}.js`);
    }
  }

  /** A file of the mini program (relative to its root), or the SDK, as `require` gives it there. */
  require(path: string): any {
    return this.#load(path === SDK ? SDK : join(root, path));
  }

  #load(file: string): any {
    const cached = this.#modules.get(file);
    if (cached) return cached.exports;
    const module = { exports: {} as unknown };
    this.#modules.set(file, module);
    const code = file === SDK ? this.sdkCode : readFileSync(file, 'utf8');
    const wrapped = vm.runInContext(`(function (module, exports, require) {${code}\n})`, this.#context, {
      filename: file === SDK ? 'miniprogram_npm/@hutong/client/index.js' : file,
    });
    wrapped(module, module.exports, (name: string) => this.#load(this.#resolve(file, name)));
    return module.exports;
  }

  #resolve(from: string, name: string): string {
    if (name === SDK) return SDK;
    if (!name.startsWith('.')) throw new Error(`${from}: a mini program cannot require ${name}`);
    const file = resolve(dirname(from), name);
    if (relative(root, file).startsWith('..'))
      throw new Error(`${from}: ${name} is outside the mini program`);
    return extname(file) === '.js' ? file : `${file}.js`;
  }

  /** The definition `Page()` got for a route. */
  definition(route: string): Record<string, unknown> {
    const definition = this.#pages.get(route);
    if (!definition) throw new Error(`no Page() for ${route}`);
    return definition;
  }

  /** Opens a page as WeChat does: a fresh instance, then onLoad, onShow and onReady. */
  open(route: string, query: Record<string, string> = {}): Page {
    const definition = this.definition(route);
    const plain = (value: unknown) => JSON.parse(JSON.stringify(value ?? {}));
    const page = { route, options: query, data: plain(definition['data']) } as unknown as Page;
    for (const [key, value] of Object.entries(definition)) {
      if (key !== 'data') page[key] = value;
    }
    // The test's own fields: page code that used these names would break the test, so it throws.
    for (const [key, value] of [
      ['view', plain(page.data)],
      ['patches', []],
    ] as const) {
      Object.defineProperty(page, key, {
        get: () => value,
        set: () => {
          throw new Error(`${route} sets this.${key}, a name the test keeps for itself`);
        },
      });
    }
    page.setData = (patch, callback) => {
      for (const [key, value] of Object.entries(patch)) {
        assert.doesNotMatch(key, /[.[]/, 'these pages set whole fields');
        assert.notEqual(value, undefined, `setData ${key}: undefined does not reach the view`);
        page.data[key] = value;
        page.view[key] = plain(value);
      }
      page.patches.push(plain(patch));
      if (callback) setImmediate(callback);
    };
    this.#open.add(page);
    for (const hook of ['onLoad', 'onShow', 'onReady'] as const) {
      (page[hook] as Handler | undefined)?.call(page, hook === 'onLoad' ? query : undefined);
    }
    return page;
  }

  close(page: Page): void {
    if (!this.#open.delete(page)) return;
    (page['onUnload'] as Handler | undefined)?.call(page);
  }

  closeAll(): void {
    for (const page of [...this.#open]) this.close(page);
  }

  get openId(): string {
    return this.wx.sim.openid ?? '';
  }
}

const tap = (dataset: Record<string, unknown> = {}) => ({
  type: 'tap',
  currentTarget: { dataset },
  target: { dataset },
  detail: {},
});
const input = (value: string) => ({ type: 'input', detail: { value } });
const submit = (value: Record<string, unknown>) => ({ type: 'submit', detail: { value } });
const touch = (x: number, y: number, timeStamp: number) => ({
  timeStamp,
  touches: [{ identifier: 0, x, y }],
  changedTouches: [{ identifier: 0, x, y }],
});
/** `[kind, x, y, t]` as the canvas drew it for a replay at scale 1. */
const lineOps = (actions: unknown[][]) => actions.slice(1).map(([, x, y]) => `lineTo(${x},${y})`);

describe('the demos mini program on the dev stack', () => {
  let stack: DevStack;
  let outDir: string;
  let sdkCode: string;
  let alice: MiniProgram;
  let bob: MiniProgram;

  before(async () => {
    // The published mini program build, built as the client package's own test builds it.
    outDir = await mkdtemp(join(tmpdir(), 'hutong-demo-miniprogram-'));
    await buildClient({ outDir, types: false });
    sdkCode = await readFile(join(outDir, 'miniprogram_dist/index.js'), 'utf8');
    stack = await startTestStack();
    alice = new MiniProgram(stack, 'Alice', sdkCode);
    bob = new MiniProgram(stack, 'Bob', sdkCode);
  });

  after(async () => {
    alice?.closeAll();
    bob?.closeAll();
    await stack?.close();
    await rm(outDir, { recursive: true, force: true });
  });

  test('every handler the WXML binds is a method of its page, and no page renders HTML', async () => {
    for (const route of appJson.pages) {
      const wxml = await readFile(join(root, `${route}.wxml`), 'utf8');
      const handlers = [...wxml.matchAll(/\s(?:bind|catch|capture-bind|capture-catch)[:]?\w+="([^"]+)"/g)];
      assert.ok(handlers.length > 0, route);
      for (const [, name] of handlers) {
        assert.equal(typeof alice.definition(route)[name!], 'function', `${route}: ${name}`);
      }
      assert.doesNotMatch(wxml, /rich-text|nodes=/, `${route} shows user text through data binding only`);
      for (const ext of ['json', 'wxss']) await readFile(join(root, `${route}.${ext}`), 'utf8');
    }
  });

  test('index: logs in, shows the name, saves a new nickname (checked first on the phone)', async () => {
    const page = alice.open('pages/index/index');
    await until(() => page.view['loading'] === false, 'the profile');
    assert.ok(page.view['nickName'], 'a default name before one is chosen');
    assert.deepEqual(alice.toasts, []);

    await page['saveName'](submit({ nickName: '  ' }));
    assert.equal(alice.toasts.at(-1), '昵称需 1–20 个字，且不含控制字符');
    await page['saveName'](submit({ nickName: '阿明' }));
    assert.equal(page.view['nickName'], '阿明');
    assert.equal(alice.toasts.at(-1), '已保存');
    alice.close(page);

    const again = alice.open('pages/index/index');
    await until(() => again.view['loading'] === false, 'the profile again');
    assert.equal(again.view['nickName'], '阿明');
    alice.close(again);

    const other = bob.open('pages/index/index');
    await until(() => other.view['loading'] === false, "Bob's profile");
    await other['saveName'](submit({ nickName: '小红' }));
    assert.equal(other.view['nickName'], '小红');
    bob.close(other);
  });

  test('chat: two users see each other, talk both ways, see a reconnect and a leave', async () => {
    const a = alice.open('pages/chat/chat');
    await until(() => a.view['status'] === '已连接' && a.view['members'].length === 1, "Alice's room");
    const b = bob.open('pages/chat/chat');
    const names = (page: Page) => page.view['members'].map((m: { nickName: string }) => m.nickName).sort();
    await until(() => names(a).length === 2 && names(b).length === 2, 'both in both member lists');
    assert.deepEqual(names(a), ['小红', '阿明']);
    assert.deepEqual(names(b), ['小红', '阿明']);
    assert.deepEqual(
      a.view['members'].map((m: { openId: string }) => m.openId).sort(),
      [alice.openId, bob.openId].sort(),
    );

    const said = (page: Page) =>
      page.view['messages']
        .filter((m: { kind: string }) => m.kind === 'speak')
        .map(
          (m: { name: string; text: string; mine: boolean }) => `${m.name}${m.mine ? '(我)' : ''}: ${m.text}`,
        );
    a['onDraft'](input('大家好'));
    a['send']();
    assert.equal(a.view['draft'], '');
    await until(() => said(b).length === 1, 'Bob hears Alice');
    b['onDraft'](input('你好，阿明'));
    b['send']();
    await until(() => said(a).length === 2 && said(b).length === 2, 'Alice hears Bob');
    assert.deepEqual(said(a), ['阿明(我): 大家好', '小红: 你好，阿明']);
    assert.deepEqual(said(b), ['阿明: 大家好', '小红(我): 你好，阿明']);
    assert.equal(a.view['lastId'], a.view['messages'].at(-1).id, 'scrolled to the newest');
    assert.ok(
      a.view['messages'].some((m: { text: string }) => m.text === '小红 进入了聊天室'),
      'the room is told who came',
    );

    // The network drops: the status line says so, and the tunnel comes back with nothing missed.
    alice.wx.sim.terminateSockets();
    await until(() => a.view['status'] === '连接中断，正在重连…', 'the drop on the status line');
    await until(() => a.view['status'] === '已连接', 'reconnected', 10_000);
    await until(
      () => a.view['messages'].some((m: { text: string }) => m.text === '已重连，没有漏掉消息'),
      'the reconnect notice',
    );
    b['onDraft'](input('还在吗'));
    b['send']();
    await until(() => said(a).length === 3, 'Alice hears Bob after the reconnect');

    bob.close(b);
    await until(() => names(a).length === 1, 'Bob left');
    assert.deepEqual(names(a), ['阿明']);
    assert.ok(a.view['messages'].some((m: { text: string }) => m.text === '小红 离开了聊天室'));
    alice.close(a);
    await until(() => a.view['status'] === '已离线', 'Alice left');
  });

  test('doodle: draws one stroke, saves it, lists it, replays it at its pace, deletes it', async () => {
    const page = alice.open('pages/doodle/doodle');
    const { canvas } = alice;
    await until(() => canvas.calls.some((c) => c.op === 'scale(2,2)'), 'the canvas');
    assert.equal(canvas.node.width, 600, 'canvas pixels for a pixel ratio of 2');
    await until(() => page.patches.some((p) => 'drawings' in p), 'the list');
    assert.deepEqual(page.view['drawings'], []);

    // A tap is not a stroke: refused on the phone, with the server's sentence.
    page['onTouchStart'](touch(10, 10, 500));
    page['onTouchEnd']();
    await page['save']();
    assert.equal(alice.toasts.at(-1), '这只是点了一下：请按住手指画一笔');

    const stroke: [number, number, number][] = [
      [20, 30, 1000],
      [25.5, 35, 1016],
      [40, 50, 1040],
      [60, 80, 1150],
      [400, -5, 1200], // outside the canvas: kept on its edge
    ];
    page['onTouchStart'](touch(...stroke[0]!));
    for (const point of stroke.slice(1)) page['onTouchMove'](touch(...point));
    page['onTouchEnd']();
    assert.equal(page.view['points'], 5);
    page['onTitle'](input('一条线'));
    await page['save']();
    assert.equal(alice.toasts.at(-1), '已保存');
    assert.equal(page.view['title'], '');
    assert.equal(page.view['drawings'].length, 1);
    // (assert.deepEqual narrowed `page.view['drawings']` to `[]` above: read it afresh.)
    const listed = (page.view as { drawings: { id: string; title: string; points: number }[] }).drawings[0]!;
    assert.deepEqual({ title: listed.title, points: listed.points }, { title: '一条线', points: 5 });
    assert.equal(page.view['selectedId'], listed.id);

    const api = alice.require('utils/api.js');
    const { drawing } = await api.get(`/weapp/drawings/${listed.id}`);
    const actions = [
      ['m', 20, 30, 0],
      ['l', 25.5, 35, 16],
      ['l', 40, 50, 40],
      ['l', 60, 80, 150],
      ['l', 300, 0, 200],
    ];
    const { id, title, width, height, color, lineWidth, createdAt } = drawing;
    assert.deepEqual(
      JSON.parse(JSON.stringify({ id, title, width, height, color, lineWidth, actions: drawing.actions })),
      {
        id: listed.id,
        title: '一条线',
        width: 300,
        height: 200,
        color: '#1f6feb',
        lineWidth: 4,
        actions,
      },
    );
    assert.equal(typeof createdAt, 'number');

    // Replay: every line, in order, at the pace it was drawn.
    const before = canvas.lines().length;
    const started = Date.now();
    await page['open'](tap({ id: listed.id }));
    assert.equal(page.view['replaying'], true);
    await until(() => page.view['replaying'] === false, 'the replay');
    const replayed = canvas.lines().slice(before);
    assert.deepEqual(
      replayed.map((c) => c.op),
      lineOps(actions),
    );
    replayed.forEach((line, i) => {
      const t = actions[i + 1]![3] as number;
      assert.ok(line.at - started >= t - 5, `line ${i + 1} not before its time (${t} ms)`);
    });
    assert.ok(replayed.at(-1)!.at - replayed[0]!.at >= 100, 'drawn over time, not at once');
    assert.equal(page.view['notice'], '回放完了');

    // A stroke over 5,000 actions is refused on the phone.
    page['onTouchStart'](touch(0, 0, 2000));
    for (let i = 1; i <= 5000; i += 1) page['onTouchMove'](touch(i % 300, (i * 7) % 200, 2000 + i));
    page['onTouchEnd']();
    assert.equal(page.view['points'], 5001);
    await page['save']();
    assert.equal(alice.toasts.at(-1), '这一笔太长了（最多 5000 个点）');

    // The server's own refusals reach the user as sentences.
    const { messageOf } = alice.require('utils/errors.js');
    await assert.rejects(
      api.post('/weapp/drawings', { width: 300, height: 200, actions: [['m', 1, 1, 0]] }),
      (e: any) => {
        assert.equal(e.code, 'ERR_DEMO_EMPTY_STROKE');
        assert.equal(messageOf(e), '这只是点了一下：请按住手指画一笔');
        return true;
      },
    );
    await assert.rejects(
      api.post('/weapp/drawings', {
        width: 300,
        height: 200,
        actions: [
          ['m', 1, 1, 0],
          ['m', 2, 2, 5],
        ],
      }),
      (e: any) => e.code === 'ERR_DEMO_BAD_STROKE',
    );
    const bobApi = bob.require('utils/api.js');
    for (const call of [bobApi.get, bobApi.del]) {
      await assert.rejects(call(`/weapp/drawings/${listed.id}`), (e: any) => {
        assert.equal(e.code, 'ERR_DEMO_NOT_FOUND', "another user's drawing is not found");
        return true;
      });
    }

    // A drawing damaged in storage (here: on its way to the phone) is not replayed.
    const request = alice.wx.request;
    alice.wx.request = ((options: any) =>
      request({
        ...options,
        success: (result: any) => {
          if (options.url.endsWith(`/weapp/drawings/${listed.id}`))
            result.data.data.drawing.actions[2][0] = 'm';
          options.success(result);
        },
      })) as SimWx['request'];
    const lines = canvas.lines().length;
    await page['open'](tap({ id: listed.id }));
    alice.wx.request = request;
    assert.equal(alice.toasts.at(-1), '这幅画已损坏，无法回放');
    assert.equal(page.view['notice'], '这幅画已损坏，无法回放');
    assert.equal(canvas.lines().length, lines, 'nothing drawn');

    await page['remove'](tap({ id: listed.id, title: listed.title }));
    await until(() => alice.toasts.at(-1) === '已删除', 'the delete');
    assert.equal(alice.modals.at(-1), '删除这幅画？');
    await until(() => page.view['drawings'].length === 0, 'the list without it');
    await page['open'](tap({ id: listed.id }));
    assert.equal(alice.toasts.at(-1), '找不到这幅画，可能已被删除');
    alice.close(page);
  });

  test("doodle with session: weapp-session: the original app's routes, its paints and ours alike", async () => {
    const carol = new MiniProgram(stack, 'Carol', sdkCode, { session: 'weapp-session' });
    const page = carol.open('pages/doodle/doodle');
    const { canvas } = carol;
    await until(() => canvas.calls.some((c) => c.op === 'scale(2,2)'), 'the canvas');
    await until(() => page.patches.some((p) => 'drawings' in p), 'the list');
    assert.deepEqual(page.view['drawings'], []);
    const openid = carol.openId;
    assert.ok(openid, 'the list came through a weapp-session login');

    const stroke: [number, number, number][] = [
      [20, 30, 1000],
      [40, 50, 1040],
      [60, 80, 1150],
    ];
    page['onTouchStart'](touch(...stroke[0]!));
    for (const point of stroke.slice(1)) page['onTouchMove'](touch(...point));
    page['onTouchEnd']();
    await page['save']();
    assert.equal(carol.toasts.at(-1), '已保存');
    const ours = (page.view as { drawings: { id: string; title: string; points: number; date: string }[] })
      .drawings[0]!;
    assert.deepEqual(
      { title: ours.title, points: ours.points, date: ours.date },
      { title: '无题', points: 3, date: '' },
    );
    // Stored as the original app stores a paint: its canvas actions, as JSON text.
    const [stored] = await stack.demos.store.paints(openid, 10);
    assert.equal(stored!.id, ours.id);
    assert.deepEqual(fromCanvasActions(JSON.parse(stored!.actions)), {
      points: stroke.map(([x, y]) => [x, y]),
      color: '#1f6feb',
      lineWidth: 4,
    });

    // A paint the original mini program saved for the same user: its own shape, red, 5 px.
    await originalSaves(
      stack,
      openid,
      'from-the-original',
      [
        [10, 10],
        [100, 40],
        [150, 120],
      ],
      [255, 0, 0],
    );
    await page['loadList']();
    assert.deepEqual(
      (page.view as { drawings: { id: string }[] }).drawings.map((d) => d.id),
      ['from-the-original', ours.id],
    );

    const before = canvas.lines().length;
    await page['open'](tap({ id: 'from-the-original' }));
    await until(() => page.view['replaying'] === false && canvas.lines().length > before, 'the replay');
    assert.equal(canvas.lines().length - before, 2, 'both lines of the original stroke');
    assert.equal((canvas.node.getContext('2d') as { strokeStyle?: string }).strokeStyle, '#ff0000');

    await page['remove'](tap({ id: ours.id, title: ours.title }));
    await until(() => carol.toasts.at(-1) === '已删除', 'the delete');
    await until(() => page.view['drawings'].length === 1, 'the list without it');
    assert.deepEqual(
      (await stack.demos.store.paints(openid, 10)).map((p) => p.id),
      ['from-the-original'],
    );
    carol.closeAll();
  });

  test('im: contacts, ✓ ✓✓ 已读, a reply, history scrolled back, a group', async () => {
    const a = alice.open('pages/im/im');
    const b = bob.open('pages/im/im');
    const contact = (page: Page, name: string) =>
      page.view['contacts'].find((c: { name: string }) => c.name === name);
    await until(() => contact(a, '小红') && contact(b, '阿明'), 'each other as contacts');
    await until(() => a.view['status'] === '在线' && b.view['status'] === '在线', 'both online');
    assert.ok(!contact(a, '阿明'), 'not myself');

    const last = (page: Page) => page.view['messages'].at(-1);
    await a['openChat'](tap({ kind: 'user', id: contact(a, '小红').id, name: '小红' }));
    assert.equal(a.view['chat'].title, '小红');
    a['onDraft'](input('你好，小红'));
    await a['send']();
    assert.equal(last(a).text, '你好，小红');
    assert.match(last(a).tick, /^✓/);
    await until(() => contact(b, '阿明').unread === 1, "Bob's unread count");
    await until(() => last(a).tick === '✓✓', 'delivered to Bob’s phone');

    await b['openChat'](tap({ kind: 'user', id: contact(b, '阿明').id, name: '阿明' }));
    assert.deepEqual(
      b.view['messages'].map((m: any) => [m.name, m.text, m.mine]),
      [['阿明', '你好，小红', false]],
    );
    await until(() => last(a).tick === '✓✓ 已读' && last(a).read === true, 'read by Bob');

    b['onDraft'](input('收到'));
    await b['send']();
    await until(() => last(a).text === '收到' && !last(a).mine, 'the reply, live');
    await until(() => last(b).read === true, 'Alice had it on screen: read');

    // 25 more: Bob's conversation opens on the newest 20, scrolling up loads the rest.
    for (let i = 1; i <= 25; i += 1) {
      a['onDraft'](input(`第 ${i} 条`));
      await a['send']();
    }
    await until(() => b.view['messages'].length === 27, 'all of them, live');
    b['closeChat']();
    await b['openChat'](tap({ kind: 'user', id: contact(b, '阿明').id, name: '阿明' }));
    assert.equal(b.view['messages'].length, 20);
    assert.equal(b.view['hasOlder'], true);
    assert.equal(b.view['messages'][0].text, '第 6 条');
    assert.equal(b.view['anchor'], b.view['messages'].at(-1).anchor, 'scrolled to the newest');
    await b['loadOlder']();
    assert.deepEqual(
      b.view['messages'].slice(0, 3).map((m: any) => m.text),
      ['你好，小红', '收到', '第 1 条'],
    );
    assert.equal(b.view['messages'].length, 27);
    assert.equal(b.view['hasOlder'], false);
    assert.equal(b.view['anchor'], 'seq8', 'kept the message that was on top in view');
    b['closeChat']();

    await a['createGroup'](submit({ name: '周末爬山', members: [bob.openId] }));
    assert.equal(alice.toasts.at(-1), '群已建好');
    const group = a.view['groups'].find((g: { name: string }) => g.name === '周末爬山');
    assert.equal(group.size, 2);
    a['closeChat']();
    await a['openChat'](tap({ kind: 'group', id: group.id, name: group.name }));
    a['onDraft'](input('周六八点集合'));
    await a['send']();
    await until(
      () => b.view['groups'].find((g: { name: string }) => g.name === '周末爬山')?.unread === 1,
      'the group message on Bob’s list',
    );
    await b['openChat'](tap({ kind: 'group', id: group.id, name: group.name }));
    assert.deepEqual(
      b.view['messages'].map((m: any) => [m.name, m.text]),
      [['阿明', '周六八点集合']],
    );

    // Bob leaves the page; what Alice sends meanwhile is there, in order, when he comes back.
    bob.close(b);
    await until(() => b.view['status'] === '已离线', 'Bob offline');
    a['closeChat']();
    await a['openChat'](tap({ kind: 'user', id: contact(a, '小红').id, name: '小红' }));
    for (const text of ['你下线了？', '回来看消息']) {
      a['onDraft'](input(text));
      await a['send']();
    }
    const back = bob.open('pages/im/im');
    await until(() => contact(back, '阿明')?.unread === 2, 'the messages sent while Bob was away');
    await back['openChat'](tap({ kind: 'user', id: contact(back, '阿明').id, name: '阿明' }));
    assert.deepEqual(
      back.view['messages'].slice(-2).map((m: any) => m.text),
      ['你下线了？', '回来看消息'],
    );
    await until(() => last(a).tick === '✓✓ 已读', 'read when Bob came back');
    alice.close(a);
    bob.close(back);
    await until(() => a.view['status'] === '已离线' && back.view['status'] === '已离线', 'both closed');
  });
});
