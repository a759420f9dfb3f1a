import type { ImSignal, Presence, SignalBus } from '@hutong/core';
import type { Logger } from 'pino';
import type { ImStats } from './im-stats.js';

/** What the IM hub needs of the broker: presence of users' devices, and signals between nodes. */
export type ImBroker = Presence & SignalBus;

/**
 * The IM hub's side of the cluster: it says where this node has users (presence), and tells the
 * nodes holding devices of some users what happened (signals). Every call is fire-and-forget: a
 * broker that fails costs a count and a warning, never a message — what a device elsewhere missed
 * is in its inbox and comes with its next sync or login. Without a broker (one node) all are no-ops.
 */
export class ImCluster {
  constructor(
    private readonly broker: ImBroker | undefined,
    private readonly stats: ImStats,
    private readonly logger: Logger | undefined,
  ) {}

  /** Receives what other nodes signal to this one. */
  listen(onSignals: (signals: ImSignal[]) => void): void {
    this.broker?.onSignals(onSignals);
  }

  enter(userId: string): void {
    this.#call('im enter', (broker) => broker.enter(userId));
  }

  leave(userId: string): void {
    this.#call('im leave', (broker) => broker.leave(userId));
  }

  /**
   * Signals for the users' devices on other nodes (found through the broker's presence). Runs for
   * every message and receipt: when every user is here alone (one node), it costs the lookup and
   * nothing more.
   */
  toOthers(userIds: readonly string[], signalsFor: (userId: string) => ImSignal[]): void {
    const broker = this.broker;
    if (!broker || userIds.length === 0) return;
    broker
      .whereAre(userIds)
      .then((found) => {
        let byNode: Map<string, ImSignal[]> | undefined;
        for (const [userId, nodes] of found) {
          for (const node of nodes) {
            if (node === broker.nodeId) continue;
            byNode ??= new Map();
            const signals = byNode.get(node);
            if (signals) signals.push(...signalsFor(userId));
            else byNode.set(node, signalsFor(userId));
          }
        }
        if (byNode) return Promise.all([...byNode].map(([node, signals]) => broker.signal(node, signals)));
        return undefined;
      })
      .catch(this.#failed('im routing'));
  }

  #call(what: string, fn: (broker: ImBroker) => Promise<unknown>): void {
    if (!this.broker) return;
    fn(this.broker).catch(this.#failed(what));
  }

  #failed(what: string): (err: unknown) => void {
    return (err) => {
      this.stats.brokerErrors += 1;
      this.logger?.warn({ err }, `${what} failed; devices elsewhere catch up at their next login`);
    };
  }
}
