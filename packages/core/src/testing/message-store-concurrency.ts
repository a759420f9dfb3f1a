/**
 * The shared MessageStore suite's cases about calls in flight at once, which a store that groups
 * concurrent calls into one transaction (group commit) must get right within a batch as between
 * batches: numbering without gaps, `sid` following `seq`, copies and resends answered as
 * duplicates, cursors only moving forward.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { MessageStore, NewMessage } from '../index.js';
import { c2c, uid } from './message-fixtures.js';

/** Registers the cases in the enclosing `describe`; `current()` is the store under test. */
export function concurrencyCases(current: () => MessageStore): void {
  it('concurrent accepts in one conversation get distinct, gap-free numbers', async () => {
    const [a, b] = [uid(), uid()];
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => current().accept(c2c(i % 2 ? a : b, i % 2 ? b : a, `k${i}`))),
    );
    assert.deepEqual(
      results.map((r) => r.message.seq).sort((x, y) => x - y),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    const inboxes = results.flatMap((r) => r.inbox.filter((e) => e.userId === b).map((e) => e.iseq));
    assert.deepEqual(
      inboxes.sort((x, y) => x - y),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('copies of one message in flight at once: stored once, the others answer it as duplicates', async () => {
    const [a, b] = [uid(), uid()];
    const results = await Promise.all([
      current().accept(c2c(a, b, 'twin', 'first')),
      current().accept(c2c(a, b, 'other')),
      current().accept(c2c(a, b, 'twin', 'second')),
      current().accept(c2c(a, b, 'twin', 'third')),
    ]);
    const twins = [results[0]!, results[2]!, results[3]!];
    assert.equal(twins.filter((r) => !r.duplicate).length, 1, 'one of the copies is stored');
    assert.equal(new Set(twins.map((r) => r.message.sid)).size, 1, 'all answer the stored one');
    assert.ok(twins.every((r) => r.message.content === twins.find((t) => !t.duplicate)!.message.content));
    assert.ok(twins.every((r) => r.duplicate === (r.inbox.length === 0)));
    assert.deepEqual(
      (await current().pending(b, 0, 10)).map((e) => e.iseq),
      [1, 2],
      'two messages in the inbox, numbered without a gap',
    );
  });

  it('a resend beside new messages: answered from the stored one; the new ones numbered without gaps', async () => {
    const [a, b] = [uid(), uid()];
    const original = await current().accept(c2c(a, b, 'r0', 'original'));
    const [resend, ...fresh] = await Promise.all([
      current().accept(c2c(a, b, 'r0', 'again')),
      ...[1, 2, 3].map((i) => current().accept(c2c(i % 2 ? b : a, i % 2 ? a : b, `r${i}`))),
    ]);
    assert.equal(resend!.duplicate, true);
    assert.equal(resend!.message.sid, original.message.sid);
    assert.equal(resend!.message.content, 'original');
    assert.ok(fresh.every((r) => !r.duplicate));
    assert.deepEqual(
      fresh.map((r) => r.message.seq).sort((x, y) => x - y),
      [2, 3, 4],
    );
    assert.deepEqual(
      (await current().pending(b, 0, 10)).map((e) => e.iseq),
      [1, 2],
    );
    assert.deepEqual(
      (await current().pending(a, 0, 10)).map((e) => e.iseq),
      [1, 2],
    );
  });

  it('concurrent accepts across conversations and groups: gap-free inboxes, sid follows seq', async () => {
    const users = Array.from({ length: 5 }, uid);
    const group = uid();
    await current().setMembers(group, users);
    const sends: NewMessage[] = Array.from({ length: 60 }, (_, i) => {
      const sender = users[i % users.length]!;
      if (i % 3 === 0) {
        const recipients = users.filter((u) => u !== sender);
        return { ...c2c(sender, group, `x${i}`), conv: `g:${group}`, target: group, recipients };
      }
      return c2c(sender, users[(i + 1) % users.length]!, `x${i}`);
    });
    const results = await Promise.all(sends.map((m) => current().accept(m)));
    for (const user of users) {
      const iseqs = results.flatMap((r) => r.inbox.filter((e) => e.userId === user).map((e) => e.iseq));
      assert.deepEqual(
        iseqs.sort((x, y) => x - y),
        Array.from({ length: iseqs.length }, (_, i) => i + 1),
      );
      assert.deepEqual(
        (await current().pending(user, 0, 100)).map((e) => e.iseq),
        Array.from({ length: iseqs.length }, (_, i) => i + 1),
      );
    }
    for (const conv of new Set(sends.map((m) => m.conv))) {
      const history = await current().history(conv, 0, 100);
      assert.deepEqual(
        history.map((m) => m.seq),
        Array.from({ length: history.length }, (_, i) => i + 1),
      );
      assert.deepEqual(
        history.map((m) => m.sid),
        history.map((m) => m.sid).sort((x, y) => x - y),
        `sid follows seq in ${conv}`,
      );
    }
  });

  it('concurrent cursor moves of one device: the furthest is kept', async () => {
    const b = uid();
    await Promise.all([5, 9, 2, 7].map((iseq) => current().advance(b, 'phone', iseq)));
    await Promise.all([current().advance(b, 'phone', 3), current().advance(b, 'tablet', 4)]);
    assert.equal(await current().cursor(b, 'phone'), 9);
    assert.equal(await current().cursor(b, 'tablet'), 4);
  });
}
