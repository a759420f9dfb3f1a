/**
 * An in-process Hutong cluster for tests: n nodes, each a full `createHutong` node listening on
 * 127.0.0.1 port 0, sharing one session store and one IM message store (SQLite files in a fresh
 * temporary directory, unless `env` names other stores) and, by default, one `LocalBus` standing
 * in for Redis. `broker` replaces the bus by any Broker, e.g. a RedisBroker per node, so the same
 * test runs over Redis in the service-backed tier.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Broker } from '@hutong/core';
import { LocalBroker, LocalBus } from '../brokers/local-broker.js';
import { loadConfig } from '../config/config.js';
import { type CreateHutongOptions, createHutong, type Hutong } from '../hutong.js';

export interface ClusterOptions {
  /**
   * Configuration variables of every node (as `loadConfig` reads them), over the cluster's test
   * defaults (`clusterTestEnv`): port 0 on 127.0.0.1, SQLite stores shared by the nodes, app
   * `wx1111111111111111` (secret `test-secret-1`), tunnel signature key `test-tunnel-key`, webhook
   * retries after 20 and 40 ms, silent logs.
   */
  env?: Record<string, string>;
  /**
   * The broker of the node named `nodeId` (`node0`, `node1`, …), not yet started; the node starts
   * and closes it. Default: a LocalBroker on one LocalBus shared by the nodes. (The nodes use this,
   * whatever `HUTONG_BROKER` says.)
   */
  broker?: (nodeId: string, index: number) => Broker;
  /** What each node is created with besides its broker (`createHutong`'s options). */
  hutong?: Omit<CreateHutongOptions, 'broker'> | ((index: number) => Omit<CreateHutongOptions, 'broker'>);
}

export interface Cluster {
  /** The nodes, listening. */
  nodes: Hutong[];
  /** Each node's base URL (`http://127.0.0.1:<port>`), in the order of `nodes`. */
  urls: string[];
  /** Closes every node (and its broker), then removes the cluster's temporary directory. */
  close(): Promise<void>;
}

/** Test defaults of a cluster node's configuration. */
export const clusterTestEnv = {
  HOST: '127.0.0.1',
  PORT: '0',
  HUTONG_APPID: 'wx1111111111111111',
  HUTONG_APP_SECRET: 'test-secret-1',
  HUTONG_TUNNEL_SIGNATURE_KEY: 'test-tunnel-key',
  HUTONG_LOG_LEVEL: 'silent',
  // Webhook retries short, so a node closing soon after a business server went is not kept waiting.
  HUTONG_WEBHOOK_RETRY_MS: '20,40',
} as const;

/** Starts `n` Hutong nodes in this process; see the module comment. */
export async function createCluster(n: number, options: ClusterOptions = {}): Promise<Cluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hutong-cluster-'));
  const bus = new LocalBus();
  const brokerOf = options.broker ?? ((nodeId: string) => new LocalBroker(bus, nodeId));
  const nodes: Hutong[] = [];
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await Promise.all(nodes.map((node) => node.close()));
      await rm(dataDir, { recursive: true, force: true });
    })();
    return closing;
  };
  const urls: string[] = [];
  try {
    for (let index = 0; index < n; index += 1) {
      const nodeId = `node${index}`;
      const config = loadConfig({
        ...clusterTestEnv,
        HUTONG_DATA_DIR: dataDir,
        ...options.env,
        HUTONG_NODE_ID: nodeId,
      });
      const extra = typeof options.hutong === 'function' ? options.hutong(index) : options.hutong;
      const broker = brokerOf(nodeId, index);
      const node = await createHutong(config, { purgeIntervalMs: 0, ...extra, broker }).catch(
        async (error: unknown) => {
          await broker.close().catch(() => {});
          throw error;
        },
      );
      nodes.push(node);
      urls.push(await node.listen());
    }
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  return { nodes, urls, close };
}
