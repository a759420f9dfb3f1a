/**
 * SqlMessageStore's group commit on MariaDB/MySQL and PostgreSQL, beyond the shared suite: two
 * stores on one database (as two nodes) under many concurrent accepts and resends, a batch where
 * one message fails, and the bound on waiting accepts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { type Accepted, conversationOf, type NewMessage } from '@hutong/core';
import { isHutongError } from '@hutong/protocol';
import { service, uniqueSuffix } from '../../../../testing/services.js';
import { SqlMessageStore, type SqlMessageStoreOptions } from '../../src/im/sql-message-store.js';
import { dropImSchema } from './drop-im-schema.js';

const [mysqlSvc, postgresSvc] = await Promise.all([service('mysql'), service('postgres')]);

const uid = () => `u${randomBytes(6).toString('hex')}`;
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const unavailable = (error: unknown) => isHutongError(error) && error.code === 'ERR_STORE_UNAVAILABLE';

const send = (sender: string, target: string, recipients: string[], fp: string | null, group = false) =>
  ({
    conv: conversationOf(sender, target, group),
    sender,
    target,
    recipients,
    fp,
    typeu: 1,
    content: `${sender}:${fp}`,
    createdAt: Date.now(),
  }) satisfies NewMessage;

for (const [kind, svc] of [
  ['mysql', mysqlSvc],
  ['postgres', postgresSvc],
] as const) {
  describe(`SqlMessageStore (${kind}): group commit`, { skip: svc.skip }, () => {
    /** `n` stores on one fresh schema; closed and dropped after `fn`. */
    async function withStores(
      n: number,
      options: Partial<SqlMessageStoreOptions>,
      fn: (...stores: SqlMessageStore[]) => Promise<void>,
    ): Promise<void> {
      const tablePrefix = `t${uniqueSuffix()}_`;
      const stores = Array.from(
        { length: n },
        () => new SqlMessageStore({ kind, url: svc.url, tablePrefix, ...options }),
      );
      try {
        await Promise.all(stores.map((store) => store.migrate()));
        await fn(...stores);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
        await dropImSchema(kind, svc.url, tablePrefix);
      }
    }

    it('two nodes, many concurrent accepts and resends: gap-free seq and iseq, sid follows seq', async () => {
      await withStores(2, { maxBatch: 32 }, async (a, b) => {
        const users = Array.from({ length: 12 }, uid);
        const group = uid();
        const sends = Array.from({ length: 300 }, (_, i) => {
          const sender = users[i % users.length]!;
          if (i % 5 === 0)
            return send(
              sender,
              group,
              users.filter((u) => u !== sender),
              `m${i}`,
              true,
            );
          return send(
            sender,
            users[(i * 7 + 1) % users.length]!,
            [users[(i * 7 + 1) % users.length]!],
            `m${i}`,
          );
        });
        // Every message twice, through both nodes at once; some a third time, later.
        const first = await Promise.all(
          sends.flatMap((m, i) => [(i % 2 ? a : b).accept(m), (i % 2 ? b : a).accept(m)]),
        );
        const later = await Promise.all(sends.filter((_, i) => i % 3 === 0).map((m) => a.accept(m)));
        const fresh = first.filter((r) => !r.duplicate);
        assert.equal(fresh.length, sends.length, 'each message stored once');
        for (const [i, m] of sends.entries()) {
          assert.equal(first[2 * i]!.message.sid, first[2 * i + 1]!.message.sid, `one sid for ${m.fp}`);
        }
        assert.ok(later.every((r) => r.duplicate && r.inbox.length === 0));
        const byFp = new Map(fresh.map((r) => [r.message.fp, r.message.sid]));
        assert.ok(later.every((r) => byFp.get(r.message.fp) === r.message.sid));
        for (const conv of new Set(sends.map((m) => m.conv))) {
          const history = await b.history(conv, 0, 1000);
          assert.deepEqual(
            history.map((m) => m.seq),
            range(fresh.filter((r) => r.message.conv === conv).length),
          );
          const sids = history.map((m) => m.sid);
          assert.deepEqual(
            sids,
            [...sids].sort((x, y) => x - y),
            `sid follows seq in ${conv}`,
          );
        }
        for (const user of users) {
          const iseqs = fresh.flatMap((r) => r.inbox.filter((e) => e.userId === user).map((e) => e.iseq));
          assert.deepEqual(
            iseqs.sort((x, y) => x - y),
            range(iseqs.length),
          );
          assert.deepEqual(
            (await a.pending(user, 0, 1000)).map((e) => e.iseq),
            range(iseqs.length),
          );
        }
      });
    });

    it('a message that fails does not fail the others in its batch', async () => {
      await withStores(1, {}, async (store) => {
        const [x, y] = [uid(), uid()];
        // A conversation id longer than its column (255): the database refuses that row.
        const bad = { ...send(x, y, [y], 'bad'), conv: `c:${'z'.repeat(300)}` };
        const results = await Promise.allSettled([
          store.accept(send(x, y, [y], 'ok1')),
          store.accept(bad),
          store.accept(send(y, x, [x], 'ok2')),
          store.accept(send(x, y, [y], 'ok1')),
        ]);
        assert.equal(results[1]!.status, 'rejected');
        assert.ok(unavailable((results[1] as PromiseRejectedResult).reason));
        const ok = results.filter((r) => r.status === 'fulfilled').map((r) => r.value as Accepted);
        assert.equal(ok.length, 3);
        assert.deepEqual(
          ok.map((r) => [r.message.fp, r.message.seq, r.duplicate]),
          [
            ['ok1', 1, false],
            ['ok2', 2, false],
            ['ok1', 1, true],
          ],
        );
        assert.deepEqual(
          (await store.pending(y, 0, 10)).map((e) => [e.iseq, e.message.fp]),
          [[1, 'ok1']],
        );
        const next = await store.accept(send(x, y, [y], 'ok3'));
        assert.deepEqual([next.message.seq, next.inbox], [3, [{ userId: y, iseq: 2 }]], 'no gap after it');
      });
    });

    it('a lone surrogate is stored as U+FFFD, as the driver encodes it, without failing its batch', async () => {
      await withStores(1, {}, async (store) => {
        const [x, y] = [uid(), uid()];
        const [odd, plain] = await Promise.all([
          store.accept({ ...send(x, y, [y], 'odd\ud800'), content: 'a\ud800b\udc00' }),
          store.accept(send(x, y, [y], 'plain')),
        ]);
        assert.deepEqual([odd.message.content, odd.message.fp], ['a\ufffdb\ufffd', 'odd\ufffd']);
        assert.deepEqual(
          (await store.pending(y, 0, 10)).map((e) => [e.message.content, e.message.fp]),
          [
            ['a\ufffdb\ufffd', 'odd\ufffd'],
            [plain.message.content, 'plain'],
          ],
        );
      });
    });

    it('accepts beyond maxQueued are refused at once with ERR_STORE_UNAVAILABLE', async () => {
      await withStores(1, { maxQueued: 4, maxBatch: 1 }, async (store) => {
        const [x, y] = [uid(), uid()];
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => store.accept(send(x, y, [y], `q${i}`))),
        );
        const refused = results.filter((r) => r.status === 'rejected');
        assert.equal(refused.length, 6);
        assert.ok(refused.every((r) => unavailable(r.reason)));
        assert.deepEqual(
          results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.message.seq] : [])),
          [1, 2, 3, 4],
        );
        // Once the queue has room again, accepts go through.
        assert.equal((await store.accept(send(x, y, [y], 'q10'))).message.seq, 5);
      });
    });

    it('cursor moves from two nodes at once: one row per device, the furthest kept', async () => {
      await withStores(2, {}, async (a, b) => {
        const users = Array.from({ length: 20 }, uid);
        await Promise.all(
          users.flatMap((user, u) =>
            range(10).map((iseq) => (iseq % 2 ? a : b).advance(user, u % 2 ? 'phone' : 'pad', iseq)),
          ),
        );
        for (const [u, user] of users.entries()) {
          assert.equal(await a.cursor(user, u % 2 ? 'phone' : 'pad'), 10);
        }
      });
    });
  });
}
