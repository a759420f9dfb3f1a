/** The TunnelDirectory contract (broker.ts), for every implementation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TunnelDirectory } from '../index.js';
import {
  type ClusterUnderTest,
  clustersOf,
  type NodeUnderTest,
  poll,
  type SuiteOptions,
} from './suite-cluster.js';

export type DirectoryCluster = ClusterUnderTest<NodeUnderTest<TunnelDirectory>>;

export function directorySuite(
  name: string,
  make: () => Promise<DirectoryCluster>,
  options: SuiteOptions = {},
) {
  describe(`TunnelDirectory: ${name}`, { skip: options.skip ?? false }, () => {
    const cluster = clustersOf(make);

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

    it('a tunnel registered again elsewhere (adopted) is located on its new node', async () => {
      const c = await cluster();
      const [a, b] = [await c.node(), await c.node()];
      await a.broker.register('moved');
      await b.broker.register('moved');
      assert.equal((await a.broker.locate(['moved'])).get('moved'), b.broker.nodeId);
    });

    it('a node that dies leaves no ghost tunnels after its TTL', async () => {
      const c = await cluster();
      const [a, b] = [await c.node(), await c.node()];
      await a.broker.register('ghost');
      assert.equal((await b.broker.locate(['ghost'])).get('ghost'), a.broker.nodeId);
      await a.kill();
      await poll(
        async () => (await b.broker.locate(['ghost'])).size === 0,
        'the dead node’s tunnel gone',
        c.deathMs,
      );
    });

    it('an offer is claimed once: of two nodes claiming at the same time, one gets the spec', async () => {
      const c = await cluster();
      const [a, b, z] = [await c.node(), await c.node(), await c.node()];
      await a.broker.offer('offered', '{"spec":1}', 60_000);
      const claims = await Promise.all([b.broker.claim('offered'), z.broker.claim('offered')]);
      assert.deepEqual(
        claims.filter((spec) => spec !== undefined),
        ['{"spec":1}'],
      );
      assert.equal(await a.broker.claim('offered'), undefined, 'taken: later claims get none');
      assert.equal(await b.broker.claim('never-offered'), undefined);
    });

    it('alone(), where implemented, turns false once another node is live', async () => {
      const c = await cluster();
      const [a, b] = [await c.node(), await c.node()];
      await poll(() => a.broker.alone?.() !== true && b.broker.alone?.() !== true, 'neither node alone');
    });
  });
}
