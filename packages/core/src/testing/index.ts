/**
 * `@hutong/core/testing`: the shared test kit. The suites every implementation of a seam passes,
 * the one `until`/`eventually` helper, an injectable clock and SessionStore test data.
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
 * Each suite takes `{ skip: 'reason' }` to skip loudly when its backend is not reachable.
 */
export { type BrokerCluster, brokerSuite } from './broker-suite.js';
export { type Clock, ManualClock, systemClock } from './clock.js';
export {
  type MessageStoreFactory,
  type MessageStoreUnderTest,
  messageStoreSuite,
} from './message-store-suite.js';
export { type StoreFactory, type StoreUnderTest, sessionStoreSuite } from './session-store-suite.js';
export { handles, leaked, login, randomHex, sessionOf } from './store-fixtures.js';
export { type EventuallyOptions, eventually, type UntilOptions, until } from './until.js';
