/**
 * The one test suite every MessageStore passes. `factory` returns a fresh, isolated store (not yet
 * migrated) and a `cleanup` that removes what it stored; the suite closes the store first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { conversationOf, type MessageStore } from '../index.js';
import { c2c, uid } from './message-fixtures.js';
import { concurrencyCases } from './message-store-concurrency.js';

export interface MessageStoreUnderTest {
  store: MessageStore;
  cleanup(): Promise<void>;
}

export type MessageStoreFactory = () => Promise<MessageStoreUnderTest>;

export function messageStoreSuite(
  name: string,
  factory: MessageStoreFactory,
  options: { skip?: string | false } = {},
) {
  describe(`MessageStore: ${name}`, { skip: options.skip ?? false }, () => {
    let store: MessageStore;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await factory());
      await store.migrate();
      await store.migrate(); // idempotent
    });
    after(async () => {
      await store.close();
      await cleanup();
    });

    it('numbers a conversation 1, 2, 3 and each inbox 1, 2, 3; sids increase', async () => {
      const [a, b, c] = [uid(), uid(), uid()];
      const first = await store.accept(c2c(a, b, 'f1'));
      const second = await store.accept(c2c(b, a, 'f2'));
      const other = await store.accept(c2c(a, c, 'f3'));
      const third = await store.accept(c2c(a, b, 'f4'));
      assert.deepEqual(
        [first, second, third].map((x) => x.message.seq),
        [1, 2, 3],
      );
      assert.equal(other.message.seq, 1, 'another conversation starts at 1');
      assert.ok(first.message.sid < second.message.sid && second.message.sid < third.message.sid);
      assert.deepEqual(first.inbox, [{ userId: b, iseq: 1 }]);
      assert.deepEqual(second.inbox, [{ userId: a, iseq: 1 }]);
      assert.deepEqual(third.inbox, [{ userId: b, iseq: 2 }]);
      assert.equal(first.message.conv, second.message.conv, 'one conversation whoever sends');
    });

    it('a resend with the same (sender, fp) is a duplicate that changes nothing', async () => {
      const [a, b] = [uid(), uid()];
      const original = await store.accept(c2c(a, b, 'same', 'one'));
      const again = await store.accept(c2c(a, b, 'same', 'two'));
      assert.equal(again.duplicate, true);
      assert.deepEqual(again.inbox, []);
      assert.equal(again.message.sid, original.message.sid);
      assert.equal(again.message.content, 'one');
      const other = await store.accept(c2c(b, a, 'same'));
      assert.equal(other.duplicate, false, 'fp is per sender');
      const noFp = [await store.accept(c2c(a, b, null)), await store.accept(c2c(a, b, null))];
      assert.ok(
        noFp.every((x) => !x.duplicate),
        'no fp, no de-duplication',
      );
      assert.equal((await store.pending(b, 0, 100)).length, 3);
    });

    it('pending answers the inbox after a number; device cursors only move forward', async () => {
      const [a, b] = [uid(), uid()];
      for (let i = 0; i < 5; i += 1) await store.accept(c2c(a, b, `p${i}`, `m${i}`));
      const all = await store.pending(b, 0, 100);
      assert.deepEqual(
        all.map((e) => [e.iseq, e.message.content, e.message.sender]),
        [0, 1, 2, 3, 4].map((i) => [i + 1, `m${i}`, a]),
      );
      assert.equal(all[0]!.message.fp, 'p0');
      await store.advance(b, 'phone', 3);
      await store.advance(b, 'phone', 2);
      assert.equal(await store.cursor(b, 'phone'), 3);
      assert.deepEqual(
        (await store.pending(b, await store.cursor(b, 'phone'), 100)).map((e) => e.iseq),
        [4, 5],
      );
      assert.deepEqual(
        (await store.pending(b, 3, 1)).map((e) => e.iseq),
        [4],
      );
      assert.equal(await store.cursor(b, 'laptop'), 0, 'another device has its own cursor');
      assert.deepEqual(await store.pending(b, 5, 100), []);
    });

    it('history by sequence range', async () => {
      const [a, b] = [uid(), uid()];
      for (let i = 0; i < 6; i += 1) await store.accept(c2c(i % 2 ? b : a, i % 2 ? a : b, `h${i}`, `h${i}`));
      const conv = conversationOf(a, b, false);
      assert.deepEqual(
        (await store.history(conv, 0, 100)).map((m) => m.content),
        ['h0', 'h1', 'h2', 'h3', 'h4', 'h5'],
      );
      assert.deepEqual(
        (await store.history(conv, 2, 2)).map((m) => m.seq),
        [3, 4],
      );
      assert.deepEqual(await store.history('c:nobody|none', 0, 10), []);
      // Scrolling back: the newest page first, then the page before it, oldest first within each.
      assert.deepEqual(
        (await store.historyBefore(conv, Number.MAX_SAFE_INTEGER, 4)).map((m) => m.seq),
        [3, 4, 5, 6],
      );
      assert.deepEqual(
        (await store.historyBefore(conv, 3, 4)).map((m) => m.content),
        ['h0', 'h1'],
      );
      assert.deepEqual(await store.historyBefore(conv, 1, 4), []);
    });

    it('groups: members replace, every member but the sender gets an inbox entry', async () => {
      const [a, b, c, group] = [uid(), uid(), uid(), uid()];
      await store.setMembers(group, [a, b, b]);
      await store.setMembers(group, [a, b, c]);
      assert.deepEqual(await store.members(group), [a, b, c].sort());
      const members = await store.members(group);
      const accepted = await store.accept({
        conv: conversationOf(a, group, true),
        sender: a,
        target: group,
        recipients: members.filter((m) => m !== a),
        fp: 'g1',
        typeu: 0,
        content: 'hello all',
        createdAt: Date.now(),
      });
      assert.deepEqual(accepted.inbox.map((e) => e.userId).sort(), [b, c].sort());
      assert.equal((await store.pending(c, 0, 10))[0]?.message.content, 'hello all');
      assert.equal(accepted.message.conv, `g:${group}`);
      await store.setMembers(group, []);
      assert.deepEqual(await store.members(group), []);
    });

    it('read positions per user only move forward', async () => {
      const [a, b] = [uid(), uid()];
      const conv = conversationOf(a, b, false);
      assert.deepEqual(await store.reads(conv), {});
      assert.equal(await store.markRead(conv, b, 3), 3);
      assert.equal(await store.markRead(conv, b, 2), 3, 'never backwards');
      assert.equal(await store.markRead(conv, a, 1), 1);
      assert.equal(await store.markRead(conv, b, 7), 7);
      assert.deepEqual(await store.reads(conv), { [a]: 1, [b]: 7 });
    });

    concurrencyCases(() => store);

    it('keeps unicode and large contents intact', async () => {
      const [a, b] = [uid(), uid()];
      const content = `你好 🌏 ${'x'.repeat(60_000)}`;
      await store.accept(c2c(a, b, 'big', content));
      assert.equal((await store.pending(b, 0, 1))[0]?.message.content, content);
    });
  });
}
