/** The NodeReports contract (broker.ts), for every implementation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NodeReports } from '../index.js';
import {
  type ClusterUnderTest,
  clustersOf,
  type NodeUnderTest,
  poll,
  type SuiteOptions,
} from './suite-cluster.js';

/** Reports are keyed by node id: the suite needs each node's. */
export type ReportsCluster = ClusterUnderTest<NodeUnderTest<NodeReports & { readonly nodeId: string }>>;

export function reportsSuite(name: string, make: () => Promise<ReportsCluster>, options: SuiteOptions = {}) {
  describe(`NodeReports: ${name}`, { skip: options.skip ?? false }, () => {
    const cluster = clustersOf(make);

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
      await poll(
        async () => !(await b.broker.reports()).has(a.broker.nodeId),
        'the dead node’s report gone',
        c.deathMs,
      );
      assert.equal((await b.broker.reports()).get(b.broker.nodeId), '{"n":3}');
    });

    it('a node that has not reported yet is not listed', async () => {
      const c = await cluster();
      const [a, b] = [await c.node(), await c.node()];
      await a.broker.report('{"n":1}');
      const found = await b.broker.reports();
      assert.equal(found.get(a.broker.nodeId), '{"n":1}');
      assert.equal(found.has(b.broker.nodeId), false);
    });
  });
}
