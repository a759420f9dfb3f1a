/**
 * The seed 一笔到底 app's routes (`/applet/session/paints/…`) on the dev stack, driven as its mini
 * program drives them: weapp-session headers, `{id, actions}` with actions a JSON string. Paints
 * kept per user, the original's wire shapes, and every bad input answered with its typed failure
 * while the server keeps serving.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type DevStack, startDevStack } from '../src/stack.js';
import {
  type Answer,
  actionsOfSize,
  canvasActions,
  plain,
  type SeedPhone,
  seedPhone,
  WEAPP_SESSION_MAGIC,
} from './applet-fixture.js';
import { startTestStack } from './stack-fixture.js';

const success = (data: unknown) => ({ code: 0, msg: 'success', data });

/** Asserts the original's failure body, HTTP 200, with Hutong's typed code. */
function assertFailure(answer: Answer, code: string, reason?: RegExp, what = '') {
  assert.equal(answer.status, 200, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.code, -1, what);
  assert.equal(answer.body.msg, 'fail', what);
  assert.equal(answer.body.error.code, code, `${what}: ${answer.body.error.reason}`);
  assert.equal(typeof answer.body.error.reason, 'string', what);
  if (reason) assert.match(answer.body.error.reason, reason, what);
}

describe('the seed app routes', () => {
  let stack: DevStack;
  let paints: string;
  before(async () => {
    stack = await startTestStack();
    paints = `${stack.url}/applet/session/paints`;
  });
  after(() => stack.close());

  const phone = (openid?: string) => seedPhone(stack, '/applet', openid);

  test('save, list, upsert and delete, logged in by the first request and then by the code alone', async () => {
    const me = await phone();
    assert.deepEqual(await me.request('GET', '/list'), { status: 200, body: success([]) }, 'the login');
    const id = randomUUID();
    const actions = canvasActions(1);
    assert.deepEqual(await me.request('POST', '/save', { id, actions }), { status: 200, body: success({}) });
    assert.deepEqual((await me.request('GET', '/list')).body, success([{ id, actions }]), 'the exact string');

    const redrawn = canvasActions(2);
    assert.deepEqual((await me.request('POST', '/save', { id, actions: redrawn })).body, success({}));
    assert.deepEqual(
      (await me.request('GET', '/list')).body,
      success([{ id, actions: redrawn }]),
      'replaced',
    );

    assert.deepEqual(await me.request('POST', '/delete', { id }), { status: 200, body: success({}) });
    assert.deepEqual((await me.request('GET', '/list')).body, success([]));
    assert.deepEqual((await me.request('POST', '/delete', { id })).body, success({}), 'nothing to delete');
  });

  test('two users with the same paint id keep two paints; neither deletes the other’s', async () => {
    const [alice, bob] = [await phone(), await phone()];
    const id = randomUUID();
    await alice.request('POST', '/save', { id, actions: canvasActions(3) });
    await bob.request('POST', '/save', { id, actions: canvasActions(4) });
    assert.deepEqual((await alice.request('GET', '/list')).body.data, [{ id, actions: canvasActions(3) }]);
    assert.deepEqual((await bob.request('GET', '/list')).body.data, [{ id, actions: canvasActions(4) }]);
    assert.deepEqual((await bob.request('POST', '/delete', { id })).body, success({}));
    assert.deepEqual((await alice.request('GET', '/list')).body.data, [{ id, actions: canvasActions(3) }]);
    assert.deepEqual((await bob.request('GET', '/list')).body.data, []);
  });

  test('a form body is understood too, as the original (body-parser urlencoded) did', async () => {
    const me = await phone();
    const actions = canvasActions(5);
    const saved = await me.request('POST', '/save', new URLSearchParams({ id: 'form-paint', actions }));
    assert.deepEqual(saved.body, success({}));
    assert.deepEqual((await me.request('GET', '/list')).body.data, [{ id: 'form-paint', actions }]);
  });

  test('without a code: the failure body with ERR_DEMO_NO_USER, on every route', async () => {
    const json = { 'content-type': 'application/json' };
    const body = JSON.stringify({ id: 'x', actions: '[]' });
    for (const [path, init] of [
      ['/list', {}],
      ['/save', { method: 'POST', headers: json, body }],
      ['/delete', { method: 'POST', headers: json, body }],
    ] as const) {
      assertFailure(
        await plain(`${paints}${path}`, init),
        'ERR_DEMO_NO_USER',
        /^openId does not exists$/,
        path,
      );
    }
  });

  test('an unknown code: weapp-session’s own ERR_SESSION_EXPIRED body, so the client logs in again', async () => {
    const answer = await plain(`${paints}/list`, { headers: { 'x-wx-code': 'never-logged-in' } });
    assert.equal(answer.status, 200);
    assert.equal(answer.body[WEAPP_SESSION_MAGIC], 1);
    assert.equal(answer.body.reason, 'ERR_SESSION_EXPIRED');
  });

  describe('bad input', () => {
    let me: SeedPhone;
    before(async () => {
      me = await phone();
      await me.request('GET', '/list');
    });

    test('each bad id or actions gets its typed failure and stores nothing', async () => {
      const ok = canvasActions(6);
      const cases: [string, unknown, string, RegExp][] = [
        ['no id', { actions: ok }, 'ERR_DEMO_BAD_INPUT', /id is required/],
        ['an empty id', { id: '', actions: ok }, 'ERR_DEMO_BAD_INPUT', /id must be/],
        ['an id of 65 characters', { id: 'a'.repeat(65), actions: ok }, 'ERR_DEMO_BAD_INPUT', /id must be/],
        ['an id with a slash', { id: 'a/b', actions: ok }, 'ERR_DEMO_BAD_INPUT', /id must be/],
        ['an id that is a number', { id: 42, actions: ok }, 'ERR_DEMO_BAD_INPUT', /id must be/],
        ['no actions', { id: 'p' }, 'ERR_DEMO_BAD_INPUT', /actions is required/],
        ['actions as an array', { id: 'p', actions: [] }, 'ERR_DEMO_BAD_INPUT', /must be a non-empty string/],
        ['actions as a number', { id: 'p', actions: 1 }, 'ERR_DEMO_BAD_INPUT', /must be a non-empty string/],
        ['empty actions', { id: 'p', actions: '' }, 'ERR_DEMO_BAD_INPUT', /must be a non-empty string/],
        ['actions not JSON', { id: 'p', actions: '[{' }, 'ERR_DEMO_BAD_INPUT', /must be JSON/],
        ['actions an object', { id: 'p', actions: '{"a":1}' }, 'ERR_DEMO_BAD_INPUT', /JSON array/],
        ['actions a string', { id: 'p', actions: '"[]"' }, 'ERR_DEMO_BAD_INPUT', /JSON array/],
        [
          'actions of 256 KB + 1 byte',
          { id: 'p', actions: actionsOfSize(256 * 1024 + 1) },
          'ERR_DEMO_STROKE_TOO_LARGE',
          /at most 256 KB/,
        ],
        ['a body that is a list', [{ id: 'p', actions: ok }], 'ERR_DEMO_BAD_INPUT', /body must be/],
        ['a body that is not JSON', '{"id": "p", ', 'ERR_DEMO_BAD_INPUT', /JSON or a URL-encoded form/],
        [
          'a body over 1 MB',
          { id: 'p', actions: ok, pad: 'y'.repeat(1100 * 1024) },
          'ERR_DEMO_STROKE_TOO_LARGE',
          /1024 KB/,
        ],
      ];
      for (const [what, body, code, reason] of cases) {
        assertFailure(await me.request('POST', '/save', body), code, reason, what);
      }
      assertFailure(
        await me.request('POST', '/delete', {}),
        'ERR_DEMO_BAD_INPUT',
        /id is required/,
        'delete',
      );
      assertFailure(await me.request('POST', '/delete', { id: '../x' }), 'ERR_DEMO_BAD_INPUT', /id must be/);
      assertFailure(await me.request('POST', '/delete'), 'ERR_DEMO_BAD_INPUT', /body must be/, 'no body');
      assert.deepEqual((await me.request('GET', '/list')).body, success([]), 'nothing stored, still serving');
    });

    test('actions of exactly 256 KB are stored as sent', async () => {
      const actions = actionsOfSize(256 * 1024);
      assert.deepEqual((await me.request('POST', '/save', { id: 'the-largest', actions })).body, success({}));
      assert.deepEqual((await me.request('GET', '/list')).body.data, [{ id: 'the-largest', actions }]);
      await me.request('POST', '/delete', { id: 'the-largest' });
    });
  });

  test('500 paints per user: the 501st is ERR_DEMO_LIMIT, a replace still works; the list shows the newest 100', async () => {
    const me = await phone();
    const other = await phone();
    const id = (i: number) => `paint-${String(i).padStart(3, '0')}`;
    // One after another: saved times and ids rise together, so newest first is a fixed order.
    for (let i = 0; i < 500; i++) {
      const answer = await me.request('POST', '/save', { id: id(i), actions: '[]' });
      assert.equal(answer.body.code, 0, JSON.stringify(answer.body));
    }
    assertFailure(
      await me.request('POST', '/save', { id: 'one-more', actions: '[]' }),
      'ERR_DEMO_LIMIT',
      /500/,
    );
    assert.deepEqual(
      (await other.request('POST', '/save', { id: 'one-more', actions: '[]' })).body,
      success({}),
    );
    const list = (await me.request('GET', '/list')).body.data as { id: string }[];
    assert.deepEqual(
      list.map((paint) => paint.id),
      Array.from({ length: 100 }, (_, i) => id(499 - i)),
    );
    assert.deepEqual((await me.request('POST', '/save', { id: id(0), actions: '[1]' })).body, success({}));
    const after = (await me.request('GET', '/list')).body.data as { id: string; actions: string }[];
    assert.equal(after.length, 100);
    assert.ok(
      after.some((paint) => paint.id === id(0) && paint.actions === '[1]'),
      'a replaced paint is among the newest',
    );
    await me.request('POST', '/delete', { id: id(1) });
    assert.deepEqual(
      (await me.request('POST', '/save', { id: 'one-more', actions: '[]' })).body,
      success({}),
    );
  });
});

test('applet: false leaves the seed routes out', async () => {
  const stack = await startDevStack({
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      HUTONG_STORE: 'sqlite',
      HUTONG_STORE_URL: ':memory:',
      HUTONG_LOG_LEVEL: 'silent',
    },
    demos: { applet: false },
  });
  try {
    assert.equal((await fetch(`${stack.url}/applet/session/paints/list`)).status, 404);
  } finally {
    await stack.close();
  }
});
