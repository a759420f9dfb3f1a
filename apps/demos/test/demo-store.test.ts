/**
 * The demo store against SQLite, and MariaDB/MySQL and PostgreSQL when reachable (see
 * testing/services.ts), each SQL run under its own table prefix, dropped afterwards: profiles,
 * drawings kept apart by owner, the per-user limit, large strokes, and groups.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { service, uniqueSuffix } from '../../../testing/services.js';
import { dropTables } from '../../../testing/sql.js';
import { type DemoStore, type NewDrawing, SqlDemoStore } from '../src/demo-store.js';
import type { StrokeAction } from '../src/drawing.js';

const [mysqlSvc, postgresSvc] = await Promise.all([service('mysql'), service('postgres')]);
const TABLES = ['demo_profiles', 'demo_drawings', 'demo_groups', 'demo_group_members'];

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
      await new Promise((resolve) => setTimeout(resolve, 5));
      await store.saveProfile({ openId: 'u-2', nickName: 'Bob' });
      await new Promise((resolve) => setTimeout(resolve, 5));
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
      await new Promise((resolve) => setTimeout(resolve, 5));
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
  });
}

demoStoreSuite('SQLite file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hutong-demos-'));
  return {
    store: new SqlDemoStore({ kind: 'sqlite', file: join(dir, 'demos.sqlite') }),
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
        store: new SqlDemoStore({ kind, url: svc.url, tablePrefix }),
        cleanup: () => dropTables(kind, svc.url, tablePrefix, TABLES),
      };
    });
  });
}
