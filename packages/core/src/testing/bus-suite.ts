/** The PacketBus contract (broker.ts), for every implementation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BusPacket, RoomMove, RoutedPacket } from '../index.js';
import {
  type BusNodeUnderTest,
  type ClusterUnderTest,
  clustersOf,
  DELIVERY_MS,
  poll,
  type SuiteOptions,
} from './suite-cluster.js';

export type BusCluster = ClusterUnderTest<BusNodeUnderTest>;

const packet = (n: number): RoutedPacket => ({ tunnelIds: ['t'], type: 'message', content: String(n) });
const contents = (inbox: BusPacket[][]) => inbox.flat().map((p) => ('op' in p ? p.op : p.content));
const upTo = (n: number) => Array.from({ length: n }, (_, i) => String(i));

export function busSuite(name: string, make: () => Promise<BusCluster>, options: SuiteOptions = {}) {
  describe(`PacketBus: ${name}`, { skip: options.skip ?? false }, () => {
    const cluster = clustersOf(make);

    it('send reaches one node, in order; publish reaches every node, the sender too', async () => {
      const c = await cluster();
      const [a, b, z] = [await c.node(), await c.node(), await c.node()];
      for (let i = 0; i < 20; i += 1) await a.broker.send(b.broker.nodeId, [packet(i)]);
      await poll(() => b.inbox.length === 20, '20 packets on b');
      assert.deepEqual(
        b.inbox.map((p) => contents([p])[0]),
        upTo(20),
      );
      assert.equal(z.inbox.length, 0);
      await z.broker.publish([packet(99)]);
      await poll(
        () => [a, b, z].every((n) => contents(n.inbox).includes('99')),
        'the published packet on every node',
      );
    });

    it('publish keeps one sender’s order on every node', async () => {
      const c = await cluster();
      const [a, b] = [await c.node(), await c.node()];
      // Not awaited one by one: the order of the calls is what must hold, however they overlap.
      await Promise.all(upTo(20).map((_, i) => a.broker.publish([packet(i)])));
      await poll(() => [a, b].every((n) => n.inbox.length === 20), '20 published packets on each node');
      for (const n of [a, b]) assert.deepEqual(contents(n.inbox), upTo(20));
    });

    it('a room move sent before a publish reaches its node first, intact', async () => {
      const c = await cluster();
      const [a, b] = [await c.node(), await c.node()];
      const move: RoomMove = { op: 'join', room: 'r', tunnelIds: ['t1', 't2'] };
      // Not awaited one by one: the order of the calls holds across send and publish.
      await Promise.all([
        a.broker.send(b.broker.nodeId, [move]),
        a.broker.publish([packet(1)]),
        a.broker.send(b.broker.nodeId, [{ ...move, op: 'leave' }]),
      ]);
      await poll(() => b.inbox.length === 3, 'the move, the packet and the move on b');
      assert.deepEqual(b.inbox, [[move], [packet(1)], [{ ...move, op: 'leave' }]]);
    });

    it('nodes lists every started node, on every node; one that is gone drops out', async () => {
      const c = await cluster();
      const [a, b, z] = [await c.node(), await c.node(), await c.node()];
      const all = [a, b, z].map((n) => n.broker.nodeId).sort();
      for (const n of [a, b, z]) {
        await poll(
          async () => JSON.stringify((await n.broker.nodes()).sort()) === JSON.stringify(all),
          `every node listed on ${n.broker.nodeId}`,
        );
      }
      await z.kill();
      for (const n of [a, b]) {
        await poll(
          async () => !(await n.broker.nodes()).includes(z.broker.nodeId),
          `the killed node gone on ${n.broker.nodeId}`,
          c.deathMs + DELIVERY_MS,
        );
        assert.ok((await n.broker.nodes()).includes(n.broker.nodeId), 'a node lists itself');
      }
    });

    it('delivery is asynchronous: nothing arrives inside the call', async () => {
      const c = await cluster();
      const a = await c.node();
      const during = a.broker.publish([packet(1)]);
      assert.equal(a.inbox.length, 0);
      await during;
      await poll(() => a.inbox.length === 1, 'the packet');
    });

    it('packets for a node that is gone are dropped without an error', async () => {
      const c = await cluster();
      const [a, b] = [await c.node(), await c.node()];
      await a.broker.send('no-such-node', [packet(1)]);
      await a.broker.send(b.broker.nodeId, [packet(2)]);
      await poll(() => b.inbox.length === 1, 'the packet on b');
      assert.deepEqual(contents(b.inbox), ['2']);
      assert.equal(a.inbox.length, 0);
    });
  });
}
