/**
 * The SQLite message store's writer thread: the shared suite with the writes on the thread and
 * inline, reads on the event loop's connection that see what a resolved write wrote, errors that
 * cross the thread as the classes they were, close writing what was asked, and a thread that dies
 * mid-batch: its calls fail with ERR_STORE_UNAVAILABLE and the store goes on writing inline.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { conversationOf } from '@hutong/core';
import { c2c, messageStoreSuite } from '@hutong/core/testing';
import { HutongError, isHutongError } from '@hutong/protocol';
import Database from 'better-sqlite3';
import { SqliteMessageStore, type SqliteWriterKind } from '../../src/im/sqlite-message-store.js';
import { fromWireError, toWireError } from '../../src/im/sqlite-writer-protocol.js';

for (const writer of ['worker', 'inline'] as const satisfies SqliteWriterKind[]) {
  messageStoreSuite(`SQLite file, ${writer} writer`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hutong-im-writer-'));
    return {
      store: new SqliteMessageStore({ file: join(dir, 'im.db'), writer }),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  });
}

const message = (sender: string, target: string, fp: string | null) => c2c(sender, target, fp, 'x');

const unavailable = (error: unknown) => isHutongError(error) && error.code === 'ERR_STORE_UNAVAILABLE';

async function withFile(run: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hutong-im-writer-'));
  try {
    await run(join(dir, 'im.db'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('SqliteMessageStore with a writer thread', () => {
  it('a read after a write resolved sees it', () =>
    withFile(async (file) => {
      const store = new SqliteMessageStore({ file, writer: 'worker' });
      try {
        assert.ok(store.writerThread, 'a file gets a writer thread');
        for (let i = 1; i <= 20; i += 1) {
          const accepted = await store.accept(message('a', 'b', `m${i}`));
          assert.deepEqual(
            (await store.pending('b', i - 1, 10)).map((entry) => entry.message),
            [accepted.message],
          );
          await store.advance('b', 'phone', i);
          assert.equal(await store.cursor('b', 'phone'), i);
          assert.equal(await store.markRead(accepted.message.conv, 'b', i), i);
          assert.deepEqual(await store.reads(accepted.message.conv), { b: i });
          await store.setMembers('g', [`u${i}`]);
          assert.deepEqual(await store.members('g'), [`u${i}`]);
        }
      } finally {
        await store.close();
      }
    }));

  it('a message the database refuses fails alone, with the error SQLite gave', () =>
    withFile(async (file) => {
      const store = new SqliteMessageStore({ file, writer: 'worker' });
      try {
        const bad = { ...message('a', 'b', 'bad'), content: null as unknown as string };
        const [first, refused, last] = await Promise.allSettled([
          store.accept(message('a', 'b', 'one')),
          store.accept(bad),
          store.accept(message('a', 'b', 'two')),
        ]);
        assert.equal(first.status, 'fulfilled');
        assert.equal(last.status, 'fulfilled');
        assert.equal(refused.status, 'rejected');
        const error = (refused as PromiseRejectedResult).reason;
        assert.ok(error instanceof Database.SqliteError);
        assert.equal(error.code, 'SQLITE_CONSTRAINT_NOTNULL');
        assert.deepEqual(
          (await store.pending('b', 0, 10)).map((entry) => [entry.iseq, entry.message.fp]),
          [
            [1, 'one'],
            [2, 'two'],
          ],
        );
      } finally {
        await store.close();
      }
    }));

  it('errors cross the thread as the classes they were', () => {
    const hutong = fromWireError(toWireError(new HutongError('ERR_STORE_UNAVAILABLE', 'gone')));
    assert.ok(unavailable(hutong));
    assert.equal(hutong.message, 'gone');
    const sqlite = fromWireError(toWireError(new Database.SqliteError('busy', 'SQLITE_BUSY')));
    assert.ok(sqlite instanceof Database.SqliteError);
    assert.equal((sqlite as { code?: string }).code, 'SQLITE_BUSY');
    const plain = fromWireError(toWireError(new RangeError('out')));
    assert.equal(plain.name, 'RangeError');
    assert.equal(plain.message, 'out');
  });

  it('close writes what was asked before it', () =>
    withFile(async (file) => {
      const store = new SqliteMessageStore({ file, writer: 'worker' });
      await store.accept(message('a', 'b', 'first'));
      const asked = [
        ...Array.from({ length: 50 }, (_, i) => store.accept(message('a', 'b', `late${i}`))),
        store.advance('b', 'phone', 30),
        store.markRead(conversationOf('a', 'b', false), 'b', 7),
        store.setMembers('g', ['x', 'y']),
      ];
      await store.close();
      await Promise.all(asked);
      const again = new SqliteMessageStore({ file, writer: 'inline' });
      try {
        assert.equal((await again.pending('b', 0, 100)).length, 51);
        assert.equal(await again.cursor('b', 'phone'), 30);
        assert.deepEqual(await again.reads(conversationOf('a', 'b', false)), { b: 7 });
        assert.deepEqual(await again.members('g'), ['x', 'y']);
      } finally {
        await again.close();
      }
    }));

  it('a thread ended mid-batch fails its calls with ERR_STORE_UNAVAILABLE; later writes run inline', () =>
    withFile(async (file) => {
      const store = new SqliteMessageStore({ file, writer: 'worker' });
      try {
        await store.accept(message('a', 'b', 'before')); // the thread is up and has written
        const thread = store.writerThread!;
        const inFlight = Array.from({ length: 3000 }, (_, i) => store.accept(message('a', 'b', `f${i}`)));
        await new Promise((resolve) => setImmediate(resolve)); // the batch is posted
        await thread.terminate();
        const settled = await Promise.allSettled(inFlight);
        const rejected = settled.filter((result) => result.status === 'rejected');
        assert.ok(rejected.length > 0, 'the batch in flight failed');
        for (const result of rejected) assert.ok(unavailable(result.reason), String(result.reason));
        assert.equal(store.writerThread, undefined);

        // Inline now: new messages, and resends of the lost batch (stored once whether or not it committed).
        const resent = await Promise.all(
          Array.from({ length: 3000 }, (_, i) => store.accept(message('a', 'b', `f${i}`))),
        );
        const after = await store.accept(message('a', 'b', 'after'));
        assert.equal(after.duplicate, false);
        assert.equal(after.inbox[0]!.iseq, 3002, 'one inbox entry per message, no gaps');
        assert.equal(new Set(resent.map((r) => r.message.sid)).size, 3000);
        await store.advance('b', 'phone', 3002);
        assert.equal(await store.cursor('b', 'phone'), 3002);
        await store.setMembers('g', ['x']);
        assert.deepEqual(await store.members('g'), ['x']);
      } finally {
        await store.close();
      }
      const again = new SqliteMessageStore({ file, writer: 'inline' });
      assert.equal((await again.pending('b', 0, 5000)).length, 3002);
      await again.close();
    }));
});
