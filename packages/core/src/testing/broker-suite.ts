/**
 * The one test suite every Broker passes. `make` returns a fresh cluster: `node()` starts a broker
 * as a new node of it (with the packets it received), `kill()` makes that node vanish as a crash
 * would, `deathMs` bounds how long the others may still see a dead node; the suite closes every
 * cluster it made.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Broker, ImSignal, RoutedPacket } from '../index.js';
import { until } from './until.js';

export interface BrokerCluster {
  /** A started broker on a fresh node; `kill` makes it vanish as a crash would. */
  node(): Promise<{ broker: Broker; inbox: RoutedPacket[][]; kill(): Promise<void> }>;
  /** How long a crashed node keeps its tunnels, at most (its TTL plus slack). */
  deathMs: number;
  close(): Promise<void>;
}

const packet = (n: number): RoutedPacket => ({ tunnelIds: ['t'], type: 'message', content: String(n) });

/** The Broker contract (brokers/broker.ts), for every implementation. */
export function brokerSuite(
  name: string,
  make: () => Promise<BrokerCluster>,
  options: { skip?: string | false } = {},
) {
  describe(`Broker: ${name}`, { skip: options.skip ?? false }, () => {
    const clusters: BrokerCluster[] = [];
    const cluster = async () => {
      const c = await make();
      clusters.push(c);
      return c;
    };
    after(() => Promise.all(clusters.map((c) => c.close())));

    it('locates tunnels on their node; unregister forgets them', async () => {
      const c = await cluster();
      const [a, b] = [await c.node(), await c.node()];
      await a.broker.register('x1');
      await b.broker.register('x2');
      const found = await b.broker.locate(['x1', 'x2', 'nope']);
      assert.deepEqual(Object.fromEntries(found), { x1: a.broker.nodeId, x2: b.broker.nodeId });
      await a.broker.unregister('x1');
      assert.equal((await b.broker.locate(['x1'])).size, 0);
      assert.equal((await b.broker.locate([])).size, 0);
    });

    it('send reaches one node, in order; publish reaches every node, the sender too', async () => {
      const c = await cluster();
      const [a, b, z] = [await c.node(), await c.node(), await c.node()];
      for (let i = 0; i < 20; i += 1) await a.broker.send(b.broker.nodeId, [packet(i)]);
      await until(() => b.inbox.length === 20, { what: '20 packets on b', timeoutMs: 2000, intervalMs: 20 });
      assert.deepEqual(
        b.inbox.map((p) => p[0]!.content),
        Array.from({ length: 20 }, (_, i) => String(i)),
      );
      assert.equal(z.inbox.length, 0);
      await z.broker.publish([packet(99)]);
      await until(() => [a, b, z].every((n) => n.inbox.some((p) => p[0]!.content === '99')), {
        what: 'the published packet on every node',
        timeoutMs: 2000,
        intervalMs: 20,
      });
    });

    it('a node that dies leaves no ghost tunnels after its TTL', async () => {
      const c = await cluster();
      const [a, b] = [await c.node(), await c.node()];
      await a.broker.register('ghost');
      assert.equal((await b.broker.locate(['ghost'])).get('ghost'), a.broker.nodeId);
      await a.kill();
      await until(async () => (await b.broker.locate(['ghost'])).size === 0, {
        what: 'the dead node’s tunnel gone',
        timeoutMs: c.deathMs,
        intervalMs: 20,
      });
    });

    it('IM presence: every live node of a user; leave and death remove it', async () => {
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
      assert.equal((await z.broker.whereAre(['u2'])).size, 0);
      assert.equal((await z.broker.whereAre([])).size, 0);
      await a.kill();
      await until(
        async () => {
          const nodes = (await z.broker.whereAre(['u1'])).get('u1') ?? [];
          return nodes.length === 1 && nodes[0] === b.broker.nodeId;
        },
        { what: 'u1 only on b', timeoutMs: c.deathMs, intervalMs: 20 },
      );
    });

    it('IM signals reach one node, in order, apart from push packets', async () => {
      const c = await cluster();
      const [a, b] = [await c.node(), await c.node()];
      const got: ImSignal[] = [];
      b.broker.onSignals((signals) => got.push(...signals));
      for (let i = 1; i <= 10; i += 1)
        await a.broker.signal(b.broker.nodeId, [{ kind: 'inbox', userId: 'u', iseq: i }]);
      await a.broker.signal(b.broker.nodeId, [{ kind: 'frame', userId: 'u', frame: '{"type":60}' }]);
      await until(() => got.length === 11, { what: '11 signals on b', timeoutMs: 2000, intervalMs: 20 });
      assert.deepEqual(
        got.slice(0, 10).map((s) => (s.kind === 'inbox' ? s.iseq : 0)),
        Array.from({ length: 10 }, (_, i) => i + 1),
      );
      assert.deepEqual(got[10], { kind: 'frame', userId: 'u', frame: '{"type":60}' });
      assert.equal(b.inbox.length, 0, 'signals are not push packets');
    });

    it('stats reports: the latest per live node, replaced on each report, gone when the node dies', async () => {
      const c = await cluster();
      const [a, b] = [await c.node(), await c.node()];
      await a.broker.report('{"n":1}');
      await a.broker.report('{"n":2}');
      await b.broker.report('{"n":3}');
      const found = await b.broker.reports();
      assert.equal(found.get(a.broker.nodeId), '{"n":2}');
      assert.equal(found.get(b.broker.nodeId), '{"n":3}');
      await a.kill();
      await until(async () => !(await b.broker.reports()).has(a.broker.nodeId), {
        what: 'the dead node’s report gone',
        timeoutMs: c.deathMs,
        intervalMs: 20,
      });
      assert.equal((await b.broker.reports()).get(b.broker.nodeId), '{"n":3}');
    });
  });
}
