/**
 * The demo store against SQLite, and MariaDB/MySQL and PostgreSQL when reachable (see
 * testing/services.ts), each SQL run under its own table prefix, dropped afterwards: profiles,
 * drawings kept apart by owner, the per-user limit, large strokes, groups, and the seed app's paints
 * (upserts keyed by owner and id).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '@hutong/core/testing';
import { service, uniqueSuffix } from '../../../testing/services.js';
import { dropTables } from '../../../testing/sql.js';
import { type DemoStore, type NewDrawing, SqlDemoStore } from '../src/demo-store.js';
import type { StrokeAction } from '../src/drawing.js';

const [mysqlSvc, postgresSvc] = await Promise.all([service('mysql'), service('postgres')]);
const TABLES = ['demo_profiles', 'demo_drawings', 'demo_groups', 'demo_group_members', 'demo_paints'];
/** The stores' clock: paints are listed by when they were saved. */
const clock = new ManualClock();

/** A JSON array of exactly `bytes` UTF-8 bytes, with text that escaping would change (一笔, `"`, `\\`). */
function actionsOf(bytes: number): string {
  const head = JSON.stringify([{ method: 'fillText', data: ['一笔 "到底" \\', 1, 2] }]).slice(0, -1);
  const pad = bytes - Buffer.byteLength(head) - ',""]'.length;
  return `${head},"${'x'.repeat(pad)}"]`;
}

function stroke(points: number, width = 300, height = 200): NewDrawing {
  const actions: StrokeAction[] = [];
  for (let i = 0; i < points; i++)
    actions.push([i === 0 ? 'm' : 'l', (i * 7) % width, (i * 3) % height, i * 16]);
  return { title: `${points} points`, width, height, color: '#1f6feb', lineWidth: 4, actions };
}

function demoStoreSuite(
  name: string,
  open: () => Promise<{ store: DemoStore; cleanup: () => Promise<void> }>,
) {
  describe(`demo store (${name})`, () => {
    let store: DemoStore;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await open());
      await store.migrate();
      await store.migrate(); // idempotent
    });
    after(async () => {
      await store.close();
      await cleanup();
    });

    it('keeps the name a user chose, and lists names most recently changed first', async () => {
      assert.equal(await store.profile('u-none'), undefined);
      await store.saveProfile({ openId: 'u-1', nickName: '阿丽' });
      clock.advance(5);
      await store.saveProfile({ openId: 'u-2', nickName: 'Bob' });
      clock.advance(5);
      await store.saveProfile({ openId: 'u-1', nickName: '阿丽丽' });
      assert.deepEqual(await store.profile('u-1'), { openId: 'u-1', nickName: '阿丽丽' });
      const contacts = await store.contacts(10);
      assert.deepEqual(
        contacts.map((c) => c.nickName),
        ['阿丽丽', 'Bob'],
      );
      assert.equal((await store.contacts(1)).length, 1);
    });

    it('stores a stroke for its owner only: list, read and delete are filtered by owner', async () => {
      const first = await store.saveDrawing('alice', stroke(3), 10);
      clock.advance(5);
      const second = await store.saveDrawing('alice', stroke(5), 10);
      assert.ok(first && second);
      assert.equal(second.points, 5);
      const list = await store.drawings('alice', 100);
      assert.deepEqual(
        list.map((d) => d.id),
        [second.id, first.id],
        'newest first',
      );
      assert.deepEqual(await store.drawings('bob', 100), []);
      const read = await store.drawing('alice', first.id);
      assert.deepEqual(JSON.parse(read!.actionsJson), stroke(3).actions);
      assert.equal(read!.color, '#1f6feb');
      assert.equal(read!.lineWidth, 4);
      assert.equal(read!.createdAt, first.createdAt);
      assert.equal(await store.drawing('bob', first.id), undefined, 'another user cannot read it');
      assert.equal(await store.deleteDrawing('bob', first.id), false, 'nor delete it');
      assert.ok(await store.drawing('alice', first.id));
      assert.equal(await store.deleteDrawing('alice', first.id), true);
      assert.equal(await store.drawing('alice', first.id), undefined);
      assert.equal(await store.deleteDrawing('alice', first.id), false, 'gone');
    });

    it('refuses a drawing past the per-user limit, counting only that user', async () => {
      for (let i = 0; i < 3; i++) assert.ok(await store.saveDrawing('carol', stroke(2), 3));
      assert.equal(await store.saveDrawing('carol', stroke(2), 3), undefined);
      assert.ok(await store.saveDrawing('dave', stroke(2), 3), 'others are not limited by carol');
      assert.equal((await store.drawings('carol', 100)).length, 3);
    });

    it('round-trips the largest stroke the routes accept (5,000 actions)', async () => {
      const big = stroke(5000, 4096, 4096);
      const saved = await store.saveDrawing('erin', big, 10);
      const read = await store.drawing('erin', saved!.id);
      assert.deepEqual(JSON.parse(read!.actionsJson), big.actions);
    });

    it('lists the groups a user is in, with their members', async () => {
      await store.createGroup({ id: 'g1', name: '周末爬山', owner: 'u-1', members: ['u-1', 'u-2', 'u-3'] });
      await store.createGroup({ id: 'g2', name: 'Two', owner: 'u-2', members: ['u-2', 'u-4'] });
      const of2 = await store.groupsOf('u-2', 10);
      assert.deepEqual(of2.map((g) => g.id).sort(), ['g1', 'g2']);
      assert.deepEqual(of2.find((g) => g.id === 'g1')!.members.sort(), ['u-1', 'u-2', 'u-3']);
      assert.deepEqual(
        (await store.groupsOf('u-3', 10)).map((g) => g.name),
        ['周末爬山'],
      );
      assert.deepEqual(await store.groupsOf('u-9', 10), []);
    });

    it('upserts a paint: a second save of an id replaces its actions and moves it to the top', async () => {
      assert.equal(await store.savePaint('p-alice', 'paint-1', '[1]', 10), 'created');
      clock.advance(1);
      assert.equal(await store.savePaint('p-alice', 'paint-2', '[2]', 10), 'created');
      assert.deepEqual(await store.paints('p-alice', 10), [
        { id: 'paint-2', actions: '[2]' },
        { id: 'paint-1', actions: '[1]' },
      ]);
      clock.advance(1);
      assert.equal(await store.savePaint('p-alice', 'paint-1', '[1,1]', 10), 'replaced');
      assert.deepEqual(await store.paints('p-alice', 10), [
        { id: 'paint-1', actions: '[1,1]' },
        { id: 'paint-2', actions: '[2]' },
      ]);
      assert.deepEqual(await store.paints('p-alice', 1), [{ id: 'paint-1', actions: '[1,1]' }], 'limit');
      assert.deepEqual(await store.paints('p-nobody', 10), []);
    });

    it("keeps owners' paints apart: the same id is two paints, and one cannot delete the other's", async () => {
      assert.equal(await store.savePaint('p-carol', 'shared-id', '["carol"]', 10), 'created');
      assert.equal(await store.savePaint('p-dave', 'shared-id', '["dave"]', 10), 'created', 'not a replace');
      assert.deepEqual(await store.paints('p-carol', 10), [{ id: 'shared-id', actions: '["carol"]' }]);
      assert.deepEqual(await store.paints('p-dave', 10), [{ id: 'shared-id', actions: '["dave"]' }]);
      assert.equal(await store.savePaint('p-dave', 'dave-only', '[]', 10), 'created');
      assert.equal(await store.deletePaint('p-carol', 'dave-only'), false, "carol cannot delete dave's");
      assert.equal(await store.deletePaint('p-dave', 'shared-id'), true);
      assert.deepEqual(await store.paints('p-carol', 10), [{ id: 'shared-id', actions: '["carol"]' }]);
      assert.deepEqual(await store.paints('p-dave', 10), [{ id: 'dave-only', actions: '[]' }]);
      assert.equal(await store.deletePaint('p-dave', 'shared-id'), false, 'gone');
    });

    it('refuses a new paint past the per-user limit, but still replaces one', async () => {
      for (const id of ['a', 'b', 'c']) assert.equal(await store.savePaint('p-erin', id, '[]', 3), 'created');
      assert.equal(await store.savePaint('p-erin', 'd', '[]', 3), 'limit');
      assert.equal(
        await store.savePaint('p-erin', 'b', '[0]', 3),
        'replaced',
        'an existing paint at the limit',
      );
      assert.equal(
        await store.savePaint('p-frank', 'd', '[]', 3),
        'created',
        'others are not limited by erin',
      );
      assert.deepEqual((await store.paints('p-erin', 10)).map((p) => p.id).sort(), ['a', 'b', 'c']);
      assert.equal(await store.deletePaint('p-erin', 'a'), true);
      assert.equal(await store.savePaint('p-erin', 'd', '[]', 3), 'created', 'room again after a delete');
    });

    it('round-trips a 256 KB actions string exactly', async () => {
      const actions = actionsOf(256 * 1024);
      assert.equal(Buffer.byteLength(actions), 256 * 1024);
      assert.equal(await store.savePaint('p-gina', 'big', actions, 10), 'created');
      const [read] = await store.paints('p-gina', 10);
      assert.equal(read?.actions, actions);
    });
  });
}

demoStoreSuite('SQLite file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hutong-demos-'));
  return {
    store: new SqlDemoStore({ kind: 'sqlite', file: join(dir, 'demos.sqlite'), now: clock.now }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

for (const [kind, svc] of [
  ['mysql', mysqlSvc],
  ['postgres', postgresSvc],
] as const) {
  describe(kind, { skip: svc.skip }, () => {
    demoStoreSuite(kind, async () => {
      const tablePrefix = `t${uniqueSuffix()}_`;
      return {
        store: new SqlDemoStore({ kind, url: svc.url, tablePrefix, now: clock.now }),
        cleanup: () => dropTables(kind, svc.url, tablePrefix, TABLES),
      };
    });
  });
}
