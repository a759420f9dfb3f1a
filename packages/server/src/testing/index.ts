/**
 * `@hutong/server/testing`: the shared test kit of `@hutong/core/testing` (suites, `until`, the
 * injectable clock), and `createCluster`, n Hutong nodes in one process for cluster tests.
 */
export * from '@hutong/core/testing';
export { type Cluster, type ClusterOptions, clusterTestEnv, createCluster } from './cluster.js';
