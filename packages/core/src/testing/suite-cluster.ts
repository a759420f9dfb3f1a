/**
 * What the cluster-seam suites (directory, bus, presence, signals, reports, and `brokerSuite` over
 * all five) take: a factory of fresh clusters. `node()` starts a member on a new node; `kill()`
 * makes that node vanish as a crash would (no goodbye); `deathMs` bounds how long the others may
 * still see a dead node (its TTL plus slack). A suite closes every cluster it made.
 *
 * A `Broker` cluster fits every suite: each takes only the part of a node it tests.
 */
import { after } from 'node:test';
import type { Broker, BusPacket, PacketBus } from '../index.js';
import { until } from './until.js';

/** A started member of a cluster under test. */
export interface NodeUnderTest<T> {
  broker: T;
  /** The node vanishes as a crash would: it says nothing, and its heartbeat stops. */
  kill(): Promise<void>;
}

/** A bus member also gives what it received, one entry per `deliver` call. */
export interface BusNodeUnderTest<T extends PacketBus = PacketBus> extends NodeUnderTest<T> {
  inbox: BusPacket[][];
}

export interface ClusterUnderTest<N> {
  /** A started member on a fresh node. */
  node(): Promise<N>;
  /** How long a crashed node keeps what it held, at most (its TTL plus slack). */
  deathMs: number;
  close(): Promise<void>;
}

/** Every suite's cluster: brokers on fresh nodes, with what each received. */
export type BrokerCluster = ClusterUnderTest<BusNodeUnderTest<Broker>>;

/** Options every suite takes: `skip` (a reason) when the backend is not reachable. */
export interface SuiteOptions {
  skip?: string | false;
}

/**
 * How long a message between two live nodes may take in a suite (packets, signals, presence news):
 * a bound on a loaded machine, not a pause.
 */
export const DELIVERY_MS = 2000;

/** Polling interval of the suites' waits. */
export const POLL_MS = 20;

/** The suites' wait: `check` polled every POLL_MS until it holds, for at most `timeoutMs` (a delivery). */
export const poll = (check: () => unknown, what: string, timeoutMs = DELIVERY_MS): Promise<void> =>
  until(check, { what, timeoutMs, intervalMs: POLL_MS });

/** Inside a `describe`: a maker of clusters that are all closed once the suite is done. */
export function clustersOf<C extends { close(): Promise<void> }>(make: () => Promise<C>): () => Promise<C> {
  const made: C[] = [];
  after(() => Promise.all(made.map((c) => c.close())));
  return async () => {
    const c = await make();
    made.push(c);
    return c;
  };
}
