/** The SignalBus contract (broker.ts), for every implementation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BusPacket, ImSignal, SignalBus } from '../index.js';
import {
  type ClusterUnderTest,
  clustersOf,
  type NodeUnderTest,
  poll,
  type SuiteOptions,
} from './suite-cluster.js';

/** Signals are addressed by node id; a node that is a packet bus too gives its inbox. */
export type SignalCluster = ClusterUnderTest<
  NodeUnderTest<SignalBus & { readonly nodeId: string }> & { inbox?: BusPacket[][] }
>;

const inbox = (userId: string, iseq: number): ImSignal => ({ kind: 'inbox', userId, iseq });
const iseqs = (signals: ImSignal[], userId: string) =>
  signals.flatMap((s) => (s.kind === 'inbox' && s.userId === userId ? [s.iseq] : []));
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

export function signalSuite(name: string, make: () => Promise<SignalCluster>, options: SuiteOptions = {}) {
  describe(`SignalBus: ${name}`, { skip: options.skip ?? false }, () => {
    const cluster = clustersOf(make);

    it('IM signals reach one node, in order, apart from push packets', async () => {
      const c = await cluster();
      const [a, b] = [await c.node(), await c.node()];
      const got: ImSignal[] = [];
      b.broker.onSignals((signals) => got.push(...signals));
      for (let i = 1; i <= 10; i += 1) await a.broker.signal(b.broker.nodeId, [inbox('u', i)]);
      await a.broker.signal(b.broker.nodeId, [{ kind: 'frame', userId: 'u', frame: '{"type":60}' }]);
      await poll(() => got.length === 11, '11 signals on b');
      assert.deepEqual(iseqs(got, 'u'), oneTo(10));
      assert.deepEqual(got[10], { kind: 'frame', userId: 'u', frame: '{"type":60}' });
      assert.equal(b.inbox?.length ?? 0, 0, 'signals are not push packets');
    });

    it('two senders at once: each sender’s order is kept', async () => {
      const c = await cluster();
      const [a, b, z] = [await c.node(), await c.node(), await c.node()];
      const got: ImSignal[] = [];
      z.broker.onSignals((signals) => got.push(...signals));
      // Not awaited one by one: the order of each sender's calls is what must hold.
      await Promise.all(
        oneTo(20).flatMap((i) => [
          a.broker.signal(z.broker.nodeId, [inbox('from-a', i)]),
          b.broker.signal(z.broker.nodeId, [inbox('from-b', i)]),
        ]),
      );
      await poll(() => got.length === 40, '40 signals on z');
      assert.deepEqual(iseqs(got, 'from-a'), oneTo(20));
      assert.deepEqual(iseqs(got, 'from-b'), oneTo(20));
    });

    it('signals for a node that is gone are dropped without an error', async () => {
      const c = await cluster();
      const [a, b] = [await c.node(), await c.node()];
      const got: ImSignal[] = [];
      b.broker.onSignals((signals) => got.push(...signals));
      await a.broker.signal('no-such-node', [inbox('lost', 1)]);
      await a.broker.signal(b.broker.nodeId, [inbox('kept', 1)]);
      await poll(() => got.length === 1, 'the signal on b');
      assert.deepEqual(got, [inbox('kept', 1)]);
    });
  });
}
