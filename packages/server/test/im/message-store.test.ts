/**
 * The shared MessageStore suite against SQLite (file and memory), and MariaDB/MySQL and PostgreSQL
 * when reachable (see testing/services.ts), each SQL run under its own table prefix, dropped
 * afterwards. Then what only a shared database has: several nodes migrating and accepting at once.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { conversationOf, type NewMessage } from '@hutong/core';
import { messageStoreSuite } from '@hutong/core/testing';
import { isHutongError } from '@hutong/protocol';
import { service, uniqueSuffix } from '../../../../testing/services.js';
import { dropTables } from '../../../../testing/sql.js';
import { createMessageStore } from '../../src/im/create-message-store.js';
import { SqlMessageStore } from '../../src/im/sql-message-store.js';
import { SqliteMessageStore } from '../../src/im/sqlite-message-store.js';
import { SqlSessionStore } from '../../src/stores/sql-session-store.js';
import { dropImSchema } from './drop-im-schema.js';

const [mysqlSvc, postgresSvc] = await Promise.all([service('mysql'), service('postgres')]);

messageStoreSuite('SQLite in memory', async () => ({
  store: new SqliteMessageStore({ file: ':memory:' }),
  cleanup: async () => {},
}));

messageStoreSuite('SQLite file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hutong-im-'));
  return {
    store: new SqliteMessageStore({ file: join(dir, 'im.db') }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

for (const [kind, svc] of [
  ['mysql', mysqlSvc],
  ['postgres', postgresSvc],
] as const) {
  messageStoreSuite(
    kind,
    async () => {
      const prefix = `t${uniqueSuffix()}_`;
      return {
        store: createMessageStore({ kind, url: svc.url, prefix }),
        cleanup: () => dropImSchema(kind, svc.url, prefix),
      };
    },
    { skip: svc.skip },
  );
}

const uid = () => `u${randomBytes(6).toString('hex')}`;

const message = (sender: string, target: string, recipients: string[], fp: string | null): NewMessage => ({
  conv:
    recipients.length === 1 && recipients[0] === target
      ? conversationOf(sender, target, false)
      : `g:${target}`,
  sender,
  target,
  recipients,
  fp,
  typeu: 1,
  content: 'x',
  createdAt: Date.now(),
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

for (const [kind, svc] of [
  ['mysql', mysqlSvc],
  ['postgres', postgresSvc],
] as const) {
  describe(`SqlMessageStore (${kind}): several nodes on one database`, { skip: svc.skip }, () => {
    it('nodes migrate one fresh schema at once, beside the session store under the same prefix', async () => {
      const tablePrefix = `t${uniqueSuffix()}_`;
      const nodes = Array.from({ length: 4 }, () => new SqlMessageStore({ kind, url: svc.url, tablePrefix }));
      const sessions = new SqlSessionStore({ kind, url: svc.url, tablePrefix });
      try {
        await Promise.all([...nodes.map((node) => node.migrate()), sessions.init()]);
        const [a, b] = [uid(), uid()];
        const accepted = await nodes[0]!.accept(message(a, b, [b], 'n1'));
        assert.deepEqual(
          (await nodes[3]!.pending(b, 0, 10)).map((e) => e.message),
          [accepted.message],
        );
        assert.equal((await sessions.upsertUser({ appid: 'wx1', openid: a }, 1)).openid, a);
      } finally {
        await Promise.all([...nodes.map((node) => node.close()), sessions.close()]);
        await dropImSchema(kind, svc.url, tablePrefix);
        await dropTables(kind, svc.url, tablePrefix, ['users', 'sessions', 'migrations']);
      }
    });

    it('concurrent accepts from several nodes: overlapping groups, racing resends, gap-free numbers', async () => {
      const tablePrefix = `t${uniqueSuffix()}_`;
      const nodes = Array.from({ length: 3 }, () => new SqlMessageStore({ kind, url: svc.url, tablePrefix }));
      try {
        await nodes[0]!.migrate();
        const users = Array.from({ length: 6 }, uid);
        const [g1, g2] = [uid(), uid()];
        // Two groups sharing members, listed in opposite orders: counters must still lock in one order.
        const forward = users.slice(1);
        const backward = [...forward].reverse();
        const sends = Array.from({ length: 60 }, (_, i) =>
          i % 2 === 0
            ? message(users[0]!, g1, forward, `g1-${i}`)
            : message(users[0]!, g2, backward, `g2-${i}`),
        );
        // Every message sent twice at once, through different nodes: the resend must lose.
        const results = await Promise.all(
          [...sends, ...sends].map((m, i) => nodes[i % nodes.length]!.accept(m)),
        );
        const fresh = results.filter((r) => !r.duplicate);
        assert.equal(fresh.length, 60);
        for (const [i, m] of sends.entries()) {
          assert.equal(results[i]!.message.sid, results[i + 60]!.message.sid, `one sid for ${m.fp}`);
        }
        for (const conv of [`g:${g1}`, `g:${g2}`]) {
          const seqs = fresh.filter((r) => r.message.conv === conv).map((r) => r.message.seq);
          assert.deepEqual(
            seqs.sort((x, y) => x - y),
            range(30),
          );
          // Within a conversation, sid follows seq.
          const history = await nodes[1]!.history(conv, 0, 100);
          assert.deepEqual(
            history.map((m) => m.sid),
            history.map((m) => m.sid).sort((x, y) => x - y),
          );
        }
        for (const user of forward) {
          const iseqs = fresh.flatMap((r) => r.inbox.filter((e) => e.userId === user).map((e) => e.iseq));
          assert.deepEqual(
            iseqs.sort((x, y) => x - y),
            range(60),
          );
          assert.deepEqual(
            (await nodes[2]!.pending(user, 0, 100)).map((e) => e.iseq),
            range(60),
          );
        }
      } finally {
        await Promise.all(nodes.map((node) => node.close()));
        await dropImSchema(kind, svc.url, tablePrefix);
      }
    });

    it('a database that cannot be reached fails each call with ERR_STORE_UNAVAILABLE', async () => {
      const url = new URL(svc.url);
      url.port = '1';
      const store = createMessageStore({ kind, url: url.toString() });
      const unavailable = (error: unknown) => isHutongError(error) && error.code === 'ERR_STORE_UNAVAILABLE';
      await assert.rejects(store.migrate(), unavailable);
      await assert.rejects(store.accept(message(uid(), uid(), ['x'], 'f')), unavailable);
      await store.close();
    });

    it('large groups: numbers for every member, statements in few shapes', async () => {
      const tablePrefix = `t${uniqueSuffix()}_`;
      const store = new SqlMessageStore({ kind, url: svc.url, tablePrefix });
      try {
        await store.migrate();
        const group = uid();
        const members = Array.from({ length: 203 }, uid);
        await store.setMembers(group, members);
        assert.equal((await store.members(group)).length, 203);
        const first = await store.accept(message(members[0]!, group, members.slice(1), null));
        const second = await store.accept(message(members[0]!, group, members.slice(1), null));
        assert.equal(first.inbox.length, 202);
        assert.ok(first.inbox.every((e) => e.iseq === 1) && second.inbox.every((e) => e.iseq === 2));
        assert.deepEqual(
          first.inbox.map((e) => e.userId),
          members.slice(1),
          'inbox entries in the order recipients were given',
        );
        assert.equal((await store.pending(members[202]!, 1, 10))[0]?.message.sid, second.message.sid);
      } finally {
        await store.close();
        await dropImSchema(kind, svc.url, tablePrefix);
      }
    });
  });
}
