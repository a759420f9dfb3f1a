/**
 * The Presence contract (broker.ts), for every implementation. Another node's changes are awaited
 * up to DELIVERY_MS (the contract makes them eventual), far below any cache lifetime a broker would
 * choose: an implementation with a cache passes only if news of changes reaches it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Presence } from '../index.js';
import {
  type ClusterUnderTest,
  clustersOf,
  DELIVERY_MS,
  type NodeUnderTest,
  poll,
  type SuiteOptions,
} from './suite-cluster.js';

export type PresenceCluster = ClusterUnderTest<NodeUnderTest<Presence>>;

/** Where `reader` places `userId`, sorted; [] for nowhere. */
const placesOf = async (reader: Presence, userId: string) =>
  ((await reader.whereAre([userId])).get(userId) ?? []).slice().sort();

/** Waits until `reader` places `userId` on exactly `nodes`. */
const seen = (reader: Presence, userId: string, nodes: string[], timeoutMs = DELIVERY_MS) =>
  poll(
    async () => JSON.stringify(await placesOf(reader, userId)) === JSON.stringify(nodes.slice().sort()),
    `${userId} on [${nodes.join(', ')}]`,
    timeoutMs,
  );

export function presenceSuite(
  name: string,
  make: () => Promise<PresenceCluster>,
  options: SuiteOptions = {},
) {
  describe(`Presence: ${name}`, { skip: options.skip ?? false }, () => {
    const cluster = clustersOf(make);

    it('every live node of a user; leave and death remove it', async () => {
      const c = await cluster();
      const [a, b, z] = [await c.node(), await c.node(), await c.node()];
      await a.broker.enter('u1');
      await b.broker.enter('u1');
      await b.broker.enter('u2');
      await b.broker.enter('u2');
      const found = await z.broker.whereAre(['u1', 'u2', 'nobody']);
      assert.deepEqual(found.get('u1')?.sort(), [a.broker.nodeId, b.broker.nodeId].sort());
      assert.deepEqual(found.get('u2'), [b.broker.nodeId]);
      assert.equal(found.has('nobody'), false);
      await b.broker.leave('u2');
      await seen(z.broker, 'u2', []);
      assert.equal((await z.broker.whereAre([])).size, 0);
      await a.kill();
      await seen(z.broker, 'u1', [b.broker.nodeId], c.deathMs);
    });

    it('a node sees its own enter and leave at once', async () => {
      const c = await cluster();
      const a = await c.node();
      assert.deepEqual(await placesOf(a.broker, 'own'), []);
      await a.broker.enter('own');
      assert.deepEqual(await placesOf(a.broker, 'own'), [a.broker.nodeId]);
      await a.broker.leave('own');
      assert.deepEqual(await placesOf(a.broker, 'own'), []);
    });

    it('the others see changes after asking: nowhere, then here, then nowhere again', async () => {
      const c = await cluster();
      const [a, b, z] = [await c.node(), await c.node(), await c.node()];
      // z and b ask first (a node with a cache now holds "nowhere"), then a and b change.
      assert.deepEqual(await placesOf(z.broker, 'late'), []);
      assert.deepEqual(await placesOf(b.broker, 'late'), []);
      await a.broker.enter('late');
      await seen(z.broker, 'late', [a.broker.nodeId]);
      await seen(b.broker, 'late', [a.broker.nodeId]);
      await b.broker.enter('late');
      await seen(z.broker, 'late', [a.broker.nodeId, b.broker.nodeId]);
      await a.broker.leave('late');
      await seen(z.broker, 'late', [b.broker.nodeId]);
      await b.broker.leave('late');
      await seen(z.broker, 'late', []);
      await seen(a.broker, 'late', []);
    });

    it('presence is per node, not counted: one leave undoes two enters', async () => {
      const c = await cluster();
      const [a, z] = [await c.node(), await c.node()];
      await a.broker.enter('twice');
      await a.broker.enter('twice');
      await seen(z.broker, 'twice', [a.broker.nodeId]);
      await a.broker.leave('twice');
      assert.deepEqual(await placesOf(a.broker, 'twice'), []);
      await seen(z.broker, 'twice', []);
    });

    it('two nodes entering one user at once, then asking: one at least sees the other', async () => {
      const c = await cluster();
      const [a, b] = [await c.node(), await c.node()];
      const users = Array.from({ length: 20 }, (_, i) => `both${i}`);
      // Both have asked before (a node with a cache now holds "nowhere" for each).
      await Promise.all([a.broker.whereAre(users), b.broker.whereAre(users)]);
      // As the IM hub logs a device in: enter, and ask at once, without waiting for the enter.
      const login = async (node: typeof a, user: string) => {
        const [, found] = await Promise.all([node.broker.enter(user), node.broker.whereAre([user])]);
        return found.get(user) ?? [];
      };
      for (const user of users) {
        const [seenByA, seenByB] = await Promise.all([login(a, user), login(b, user)]);
        assert.ok(
          seenByA.includes(b.broker.nodeId) || seenByB.includes(a.broker.nodeId),
          `${user}: a saw [${seenByA.join()}], b saw [${seenByB.join()}]`,
        );
      }
    });

    it('many users in one call: those somewhere, each with its nodes; the rest left out', async () => {
      const c = await cluster();
      const [a, b, z] = [await c.node(), await c.node(), await c.node()];
      const users = Array.from({ length: 30 }, (_, i) => `m${i}`);
      const expected = new Map<string, string>();
      for (const [i, user] of users.entries()) {
        const node = [a, b, undefined][i % 3];
        if (!node) continue;
        await node.broker.enter(user);
        expected.set(user, node.broker.nodeId);
      }
      await poll(async () => {
        const found = await z.broker.whereAre(users);
        return found.size === expected.size && [...expected].every(([u, n]) => found.get(u)?.join() === n);
      }, '20 users placed, 10 left out');
    });

    it('a dead node drops out of the answers of a node that had already asked', async () => {
      const c = await cluster();
      const [a, b, z] = [await c.node(), await c.node(), await c.node()];
      await a.broker.enter('d1');
      await a.broker.enter('d2');
      await b.broker.enter('d2');
      await seen(z.broker, 'd1', [a.broker.nodeId]);
      await seen(z.broker, 'd2', [a.broker.nodeId, b.broker.nodeId]);
      await a.kill();
      await seen(z.broker, 'd1', [], c.deathMs);
      await seen(z.broker, 'd2', [b.broker.nodeId], c.deathMs);
    });
  });
}
