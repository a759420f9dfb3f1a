/**
 * The demos' business routes on the dev stack, through @hutong/client on the simulator's `wx`:
 * names, drawings kept per user, IM groups, and every bad input answered with its typed error while
 * the server stays up.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BoundClient } from '@hutong/client/core';
import { until } from '@hutong/core/testing';
import type { StrokeAction } from '@hutong/demos';
import Database from 'better-sqlite3';
import type { DevStack } from '../src/stack.js';
import { phone, watch } from './client-fixture.js';
import { startTestStack } from './stack-fixture.js';

function stroke(points: number, width = 300, height = 200): StrokeAction[] {
  return Array.from({ length: points }, (_, i) => [
    i === 0 ? 'm' : 'l',
    (i * 7) % width,
    (i * 3) % height,
    i * 16,
  ]);
}

describe('demo business routes', () => {
  let stack: DevStack;
  let alice: BoundClient;
  let bob: BoundClient;
  /** A request as `who`; answers with status and body, whatever the status. */
  let call: (
    who: BoundClient,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    data?: unknown,
  ) => Promise<{ status: number; body: any }>;

  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hutong-demo-routes-'));
    // Demo data in a file (next to the IM store's) so a test can damage a row by hand.
    stack = await startTestStack({ HUTONG_DATA_DIR: dataDir, HUTONG_IM_STORE: 'sqlite' });
    alice = phone(stack, '阿丽').client;
    bob = phone(stack, 'Bob').client;
    await alice.login({ withUserInfo: true });
    await bob.login();
    call = async (who, method, path, data) => {
      const response = await who.request({
        url: `${stack.url}/weapp${path}`,
        method,
        ...(data === undefined ? {} : { data: data as Record<string, unknown> }),
      });
      return { status: response.statusCode, body: response.data };
    };
  });
  after(async () => {
    await stack.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const expectError = (answer: { status: number; body: any }, status: number, code: string) => {
    assert.equal(answer.status, status, JSON.stringify(answer.body));
    assert.equal(answer.body.code, 1);
    assert.equal(answer.body.error.code, code);
    assert.equal(typeof answer.body.error.message, 'string');
    assert.ok(answer.body.error.message.length > 0);
  };

  test('without a session every demo route answers 401 {code: -1}', async () => {
    for (const path of ['/profile', '/drawings', '/tunnel', '/im/contacts', '/im/groups']) {
      const response = await fetch(`${stack.url}/weapp${path}`);
      assert.equal(response.status, 401, path);
      assert.equal(((await response.json()) as { code: number }).code, -1);
    }
    const forged = await fetch(`${stack.url}/weapp/drawings`, { headers: { 'x-wx-skey': 'f'.repeat(40) } });
    assert.equal(forged.status, 401);
  });

  test('names: WeChat’s from login, a default without one, then the chosen one everywhere', async () => {
    assert.equal((await call(alice, 'GET', '/profile')).body.data.nickName, '阿丽');
    const bobs = (await call(bob, 'GET', '/profile')).body.data;
    assert.match(bobs.nickName, /^用户 .{4}$/, 'a code-only login has no WeChat name');
    const saved = await call(bob, 'POST', '/profile', { nickName: '  小明 ' });
    assert.deepEqual(saved.body, { code: 0, data: { openId: bobs.openId, nickName: '小明' } });
    assert.equal((await call(bob, 'GET', '/profile')).body.data.nickName, '小明');

    for (const nickName of ['', '   ', 'x'.repeat(21), 'a\u0000b', 'line\nbreak', '\u202eevil']) {
      expectError(await call(bob, 'POST', '/profile', { nickName }), 400, 'ERR_DEMO_BAD_INPUT');
    }
    expectError(
      await call(bob, 'POST', '/profile', { nickName: 'ok', admin: true }),
      400,
      'ERR_DEMO_BAD_INPUT',
    );
    expectError(await call(bob, 'POST', '/profile', { nickName: 42 }), 400, 'ERR_DEMO_BAD_INPUT');
    assert.equal((await call(bob, 'GET', '/profile')).body.data.nickName, '小明', 'nothing lost');

    // The chat room calls people by their chosen names.
    const tunnel = new bob.Tunnel(`${stack.url}/weapp/tunnel`);
    const seen = watch(tunnel);
    tunnel.open();
    await until(() => seen.messages.some((m) => m.type === 'members'), 'the members list', 5000);
    const members = seen.messages.find((m) => m.type === 'members')!.content.list;
    assert.deepEqual(
      members.map((u: { nickName: string }) => u.nickName),
      ['小明'],
    );
    tunnel.close();
  });

  test('drawings: saved for the owner, listed newest first, read and deleted by the owner only', async () => {
    const first = await call(alice, 'POST', '/drawings', {
      title: '山',
      width: 300,
      height: 200,
      actions: stroke(10),
    });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const second = await call(alice, 'POST', '/drawings', {
      width: 300,
      height: 200,
      color: '#ff0000',
      lineWidth: 8,
      actions: stroke(3),
    });
    const a = first.body.data.drawing;
    const b = second.body.data.drawing;
    assert.equal(a.title, '山');
    assert.equal(a.points, 10);
    const list = (await call(alice, 'GET', '/drawings')).body.data.drawings;
    assert.deepEqual(
      list.slice(0, 2).map((d: { id: string }) => d.id),
      [b.id, a.id],
    );
    const read = (await call(alice, 'GET', `/drawings/${b.id}`)).body.data.drawing;
    assert.deepEqual(read.actions, stroke(3));
    assert.equal(read.color, '#ff0000');
    assert.equal(read.lineWidth, 8);

    assert.deepEqual((await call(bob, 'GET', '/drawings')).body.data.drawings, [], 'bob sees none of them');
    expectError(await call(bob, 'GET', `/drawings/${a.id}`), 404, 'ERR_DEMO_NOT_FOUND');
    expectError(await call(bob, 'DELETE', `/drawings/${a.id}`), 404, 'ERR_DEMO_NOT_FOUND');
    assert.equal((await call(alice, 'GET', `/drawings/${a.id}`)).status, 200, 'still there');

    assert.deepEqual((await call(alice, 'DELETE', `/drawings/${a.id}`)).body, {
      code: 0,
      data: { deleted: true },
    });
    expectError(await call(alice, 'GET', `/drawings/${a.id}`), 404, 'ERR_DEMO_NOT_FOUND');
    expectError(await call(alice, 'GET', '/drawings/<script>'), 400, 'ERR_DEMO_BAD_INPUT');
  });

  test('bad strokes are refused with a code that says why, and nothing is stored', async () => {
    const before = (await call(alice, 'GET', '/drawings')).body.data.drawings.length;
    const post = (data: unknown) => call(alice, 'POST', '/drawings', data);
    const base = { width: 300, height: 200 };
    expectError(await post({ ...base, actions: [] }), 400, 'ERR_DEMO_EMPTY_STROKE');
    expectError(await post({ ...base, actions: [['m', 1, 1, 0]] }), 400, 'ERR_DEMO_EMPTY_STROKE');
    expectError(await post({ ...base, actions: stroke(5001) }), 413, 'ERR_DEMO_STROKE_TOO_LARGE');
    const huge = await post({ ...base, title: 'x', actions: stroke(2), padding: 'y'.repeat(300_000) });
    expectError(huge, 413, 'ERR_DEMO_STROKE_TOO_LARGE');
    const bad: [string, unknown][] = [
      ['a second pen down', [...stroke(3), ['m', 5, 5, 100]]],
      [
        'starts with a line',
        [
          ['l', 1, 1, 0],
          ['l', 2, 2, 5],
        ],
      ],
      [
        'outside the canvas',
        [
          ['m', 1, 1, 0],
          ['l', 301, 2, 5],
        ],
      ],
      [
        'negative',
        [
          ['m', -1, 1, 0],
          ['l', 2, 2, 5],
        ],
      ],
      [
        'time going back',
        [
          ['m', 1, 1, 10],
          ['l', 2, 2, 5],
        ],
      ],
      [
        'too long',
        [
          ['m', 1, 1, 0],
          ['l', 2, 2, 600_001],
        ],
      ],
      [
        'not numbers',
        [
          ['m', '1', 1, 0],
          ['l', 2, 2, 5],
        ],
      ],
      [
        'short action',
        [
          ['m', 1, 1],
          ['l', 2, 2, 5],
        ],
      ],
      ['not a list', [{ kind: 'm' }, ['l', 2, 2, 5]]],
    ];
    for (const [why, actions] of bad) {
      const answer = await post({ ...base, actions });
      assert.equal(answer.body.error?.code, 'ERR_DEMO_BAD_STROKE', why);
      assert.match(answer.body.error.message, /^action \d+: /, why);
    }
    expectError(await post({ width: 0, height: 200, actions: stroke(3) }), 400, 'ERR_DEMO_BAD_INPUT');
    expectError(await post({ ...base, actions: 'm 1 1' }), 400, 'ERR_DEMO_BAD_INPUT');
    expectError(await post({ ...base, color: 'red;', actions: stroke(3) }), 400, 'ERR_DEMO_BAD_INPUT');
    expectError(
      await post({ ...base, title: 't'.repeat(41), actions: stroke(3) }),
      400,
      'ERR_DEMO_BAD_INPUT',
    );
    const notJson = await fetch(`${stack.url}/weapp/drawings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-wx-skey': alice.session.get()!.skey },
      body: '{"width": 3',
    });
    assert.equal(notJson.status, 400);
    assert.equal(((await notJson.json()) as any).error.code, 'ERR_DEMO_BAD_INPUT');
    assert.equal((await call(alice, 'GET', '/drawings')).body.data.drawings.length, before, 'nothing stored');
    assert.equal((await fetch(`${stack.url}/healthz`)).status, 200, 'the server is up');
  });

  test('a stored drawing damaged in the database is still listed, and read back with actions: null', async () => {
    const saved = await call(alice, 'POST', '/drawings', {
      title: 'to damage',
      width: 300,
      height: 200,
      actions: stroke(4),
    });
    const { id } = saved.body.data.drawing;
    const db = new Database(join(dataDir, 'demos.sqlite'));
    db.prepare('update hutong_demo_drawings set actions = ? where id = ?').run(
      '[["m", 1, 1, 0], ["l", 2',
      id,
    );
    db.close();
    const list = (await call(alice, 'GET', '/drawings')).body.data.drawings;
    assert.ok(list.some((d: { id: string }) => d.id === id));
    const read = await call(alice, 'GET', `/drawings/${id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.data.drawing.actions, null);
    assert.equal(read.body.data.drawing.title, 'to damage');
  });

  test('IM: contacts are users who have a name; a group includes its maker and is listed for members', async () => {
    const aliceId = (await call(alice, 'GET', '/profile')).body.data.openId;
    await call(alice, 'POST', '/profile', { nickName: '阿丽' });
    const bobId = (await call(bob, 'GET', '/profile')).body.data.openId;
    const contacts = (await call(bob, 'GET', '/im/contacts')).body.data.contacts;
    assert.deepEqual(
      contacts.find((c: { openId: string }) => c.openId === aliceId),
      { openId: aliceId, nickName: '阿丽' },
    );
    assert.ok(!contacts.some((c: { openId: string }) => c.openId === bobId), 'not yourself');

    const made = await call(alice, 'POST', '/im/groups', { name: '周末', members: [bobId, bobId] });
    const group = made.body.data.group;
    assert.deepEqual(group.members, [aliceId, bobId]);
    assert.deepEqual(
      await stack.hutong.imStore.members(group.id).then((m) => m.sort()),
      [aliceId, bobId].sort(),
    );
    const bobGroups = (await call(bob, 'GET', '/im/groups')).body.data.groups;
    assert.equal(bobGroups.length, 1);
    assert.deepEqual(
      { ...bobGroups[0], members: bobGroups[0].members.sort() },
      {
        id: group.id,
        name: '周末',
        members: [aliceId, bobId].sort(),
      },
    );

    expectError(
      await call(alice, 'POST', '/im/groups', { name: '', members: [bobId] }),
      400,
      'ERR_DEMO_BAD_INPUT',
    );
    expectError(
      await call(alice, 'POST', '/im/groups', { name: 'x', members: [] }),
      400,
      'ERR_DEMO_BAD_INPUT',
    );
    const many = Array.from({ length: 51 }, (_, i) => `u${i}`);
    expectError(
      await call(alice, 'POST', '/im/groups', { name: 'x', members: many }),
      400,
      'ERR_DEMO_BAD_INPUT',
    );
  });

  test('the chat room: a sixth tunnel for one user is 429 ERR_TUNNEL_LIMIT, not a 500', async () => {
    const carol = phone(stack, 'Carol').client;
    await carol.login();
    for (let i = 0; i < 5; i += 1) {
      const answer = await call(carol, 'GET', '/tunnel');
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.match(answer.body.data.connectUrl, /^ws/);
    }
    expectError(await call(carol, 'GET', '/tunnel'), 429, 'ERR_TUNNEL_LIMIT');
    assert.equal((await call(bob, 'GET', '/tunnel')).status, 200, 'other users are not limited by it');
  });
});
