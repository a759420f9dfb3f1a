/** The PacketBus contract (broker.ts), for every implementation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RoutedPacket } from '../index.js';
import {
  type BusNodeUnderTest,
  type ClusterUnderTest,
  clustersOf,
  DELIVERY_MS,
  POLL_MS,
  type SuiteOptions,
} from './suite-cluster.js';
import { until } from './until.js';

export type BusCluster = ClusterUnderTest<BusNodeUnderTest>;

const packet = (n: number): RoutedPacket => ({ tunnelIds: ['t'], type: 'message', content: String(n) });
const contents = (inbox: RoutedPacket[][]) => inbox.flat().map((p) => p.content);
const upTo = (n: number) => Array.from({ length: n }, (_, i) => String(i));

export function busSuite(name: string, make: () => Promise<BusCluster>, options: SuiteOptions = {}) {
  describe(`PacketBus: ${name}`, { skip: options.skip ?? false }, () => {
    const cluster = clustersOf(make);

    it('send reaches one node, in order; publish reaches every node, the sender too', async () => {
      const c = await cluster();
      const [a, b, z] = [await c.node(), await c.node(), await c.node()];
      for (let i = 0; i < 20; i += 1) await a.broker.send(b.broker.nodeId, [packet(i)]);
      await until(() => b.inbox.length === 20, {
        what: '20 packets on b',
        timeoutMs: DELIVERY_MS,
        intervalMs: POLL_MS,
      });
      assert.deepEqual(
        b.inbox.map((p) => p[0]!.content),
        upTo(20),
      );
      assert.equal(z.inbox.length, 0);
      await z.broker.publish([packet(99)]);
      await until(() => [a, b, z].every((n) => n.inbox.some((p) => p[0]!.content === '99')), {
        what: 'the published packet on every node',
        timeoutMs: DELIVERY_MS,
        intervalMs: POLL_MS,
      });
    });

    it('publish keeps one sender’s order on every node', async () => {
      const c = await cluster();
      const [a, b] = [await c.node(), await c.node()];
      // Not awaited one by one: the order of the calls is what must hold, however they overlap.
      await Promise.all(upTo(20).map((_, i) => a.broker.publish([packet(i)])));
      await until(() => [a, b].every((n) => n.inbox.length === 20), {
        what: '20 published packets on each node',
        timeoutMs: DELIVERY_MS,
        intervalMs: POLL_MS,
      });
      for (const n of [a, b]) assert.deepEqual(contents(n.inbox), upTo(20));
    });

    it('delivery is asynchronous: nothing arrives inside the call', async () => {
      const c = await cluster();
      const a = await c.node();
      const during = a.broker.publish([packet(1)]);
      assert.equal(a.inbox.length, 0);
      await during;
      await until(() => a.inbox.length === 1, {
        what: 'the packet',
        timeoutMs: DELIVERY_MS,
        intervalMs: POLL_MS,
      });
    });

    it('packets for a node that is gone are dropped without an error', async () => {
      const c = await cluster();
      const [a, b] = [await c.node(), await c.node()];
      await a.broker.send('no-such-node', [packet(1)]);
      await a.broker.send(b.broker.nodeId, [packet(2)]);
      await until(() => b.inbox.length === 1, {
        what: 'the packet on b',
        timeoutMs: DELIVERY_MS,
        intervalMs: POLL_MS,
      });
      assert.deepEqual(contents(b.inbox), ['2']);
      assert.equal(a.inbox.length, 0);
    });
  });
}
