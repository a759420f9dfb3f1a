/**
 * `@hutong/core/testing`: the shared test kit. The suites every implementation of a seam passes,
 * the one `until`/`eventually` helper, an injectable clock, and SessionStore and MessageStore test
 * data.
 *
 * A third-party store or broker runs the same suites as Hutong's own: call the suite at the top
 * level of a `node:test` file with a factory that makes a fresh, isolated instance (and a
 * `cleanup` removing what it stored); the suite starts, uses and closes it.
 *
 * ```ts
 * import { sessionStoreSuite } from '@hutong/core/testing';
 * sessionStoreSuite('my store', async () => {
 *   const prefix = `test-${Date.now()}:`;
 *   return { store: new MySessionStore({ prefix }), cleanup: () => dropEverything(prefix) };
 * });
 * // messageStoreSuite('my store', async () => ({ store: new MyMessageStore(), cleanup }));
 * // brokerSuite('my broker', async () => ({ node: async () => ..., deathMs: 3000, close }));
 * ```
 *
 * `brokerSuite` runs one suite per part of the cluster seam (broker.ts); an implementation of one
 * part alone runs that part's: `directorySuite` (TunnelDirectory), `busSuite` (PacketBus),
 * `presenceSuite` (Presence), `signalSuite` (SignalBus), `reportsSuite` (NodeReports).
 *
 * Each suite takes `{ skip: 'reason' }` to skip loudly when its backend is not reachable.
 */
export { brokerSuite } from './broker-suite.js';
export { type BusCluster, busSuite } from './bus-suite.js';
export { type Clock, ManualClock, systemClock } from './clock.js';
export { type DirectoryCluster, directorySuite } from './directory-suite.js';
export { c2c, uid } from './message-fixtures.js';
export {
  type MessageStoreFactory,
  type MessageStoreUnderTest,
  messageStoreSuite,
} from './message-store-suite.js';
export { type PresenceCluster, presenceSuite } from './presence-suite.js';
export { type ReportsCluster, reportsSuite } from './reports-suite.js';
export { type StoreFactory, type StoreUnderTest, sessionStoreSuite } from './session-store-suite.js';
export { type SignalCluster, signalSuite } from './signal-suite.js';
export { handles, leaked, login, randomHex, sessionOf } from './store-fixtures.js';
export {
  type BrokerCluster,
  type BusNodeUnderTest,
  type ClusterUnderTest,
  DELIVERY_MS,
  type NodeUnderTest,
  type SuiteOptions,
} from './suite-cluster.js';
export { type EventuallyOptions, eventually, type UntilOptions, until } from './until.js';
