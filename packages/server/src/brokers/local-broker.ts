import { randomBytes } from 'node:crypto';
import type { Broker, BusPacket, ImSignal } from '@hutong/core';

/**
 * A bus shared by the nodes of one process: the default for a single node, and the stand-in for
 * Redis when several nodes run in one test. Delivery is asynchronous (a microtask), like a network.
 */
export class LocalBus {
  readonly nodes = new Map<string, (packets: BusPacket[]) => void>();
  readonly owners = new Map<string, string>();
  readonly presence = new Map<string, Set<string>>();
  readonly signalListeners = new Map<string, (signals: ImSignal[]) => void>();
  readonly reports = new Map<string, string>();
  readonly offers = new Map<string, { spec: string; until: number }>();
}

export class LocalBroker implements Broker {
  readonly nodeId: string;
  readonly #bus: LocalBus;

  constructor(bus = new LocalBus(), nodeId = randomBytes(6).toString('hex')) {
    this.#bus = bus;
    this.nodeId = nodeId;
  }

  async start(deliver: (packets: BusPacket[]) => void): Promise<void> {
    this.#bus.nodes.set(this.nodeId, deliver);
  }

  async register(tunnelId: string): Promise<void> {
    this.#bus.owners.set(tunnelId, this.nodeId);
  }

  async unregister(tunnelId: string): Promise<void> {
    if (this.#bus.owners.get(tunnelId) === this.nodeId) this.#bus.owners.delete(tunnelId);
  }

  async locate(tunnelIds: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const id of tunnelIds) {
      const node = this.#bus.owners.get(id);
      if (node && this.#bus.nodes.has(node)) found.set(id, node);
    }
    return found;
  }

  async send(nodeId: string, packets: BusPacket[]): Promise<void> {
    const deliver = this.#bus.nodes.get(nodeId);
    if (deliver) queueMicrotask(() => deliver(packets));
  }

  async publish(packets: BusPacket[]): Promise<void> {
    for (const deliver of this.#bus.nodes.values()) queueMicrotask(() => deliver(packets));
  }

  async nodes(): Promise<string[]> {
    return [...this.#bus.nodes.keys()];
  }

  async enter(userId: string): Promise<void> {
    const nodes = this.#bus.presence.get(userId) ?? new Set<string>();
    nodes.add(this.nodeId);
    this.#bus.presence.set(userId, nodes);
  }

  async leave(userId: string): Promise<void> {
    const nodes = this.#bus.presence.get(userId);
    nodes?.delete(this.nodeId);
    if (nodes?.size === 0) this.#bus.presence.delete(userId);
  }

  async whereAre(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    for (const userId of userIds) {
      const present = this.#bus.presence.get(userId);
      if (!present) continue;
      const nodes: string[] = [];
      for (const node of present) if (this.#bus.nodes.has(node)) nodes.push(node);
      if (nodes.length > 0) found.set(userId, nodes);
    }
    return found;
  }

  async signal(nodeId: string, signals: ImSignal[]): Promise<void> {
    const listener = this.#bus.signalListeners.get(nodeId);
    if (listener && this.#bus.nodes.has(nodeId)) queueMicrotask(() => listener(signals));
  }

  onSignals(listener: (signals: ImSignal[]) => void): void {
    this.#bus.signalListeners.set(this.nodeId, listener);
  }

  async ping(): Promise<void> {}

  /** No other node on this bus: nobody else could take a socket for this node's tunnels. */
  alone(): boolean {
    for (const id of this.#bus.nodes.keys()) if (id !== this.nodeId) return false;
    return true;
  }

  async offer(tunnelId: string, spec: string, ttlMs: number): Promise<void> {
    this.#bus.offers.set(tunnelId, { spec, until: Date.now() + ttlMs });
  }

  async claim(tunnelId: string): Promise<string | undefined> {
    const offer = this.#bus.offers.get(tunnelId);
    this.#bus.offers.delete(tunnelId);
    return offer && offer.until > Date.now() ? offer.spec : undefined;
  }

  async report(stats: string): Promise<void> {
    this.#bus.reports.set(this.nodeId, stats);
  }

  async reports(): Promise<Map<string, string>> {
    return new Map(this.#bus.reports);
  }

  async close(): Promise<void> {
    this.#bus.reports.delete(this.nodeId);
    this.#bus.nodes.delete(this.nodeId);
    this.#bus.signalListeners.delete(this.nodeId);
    for (const nodes of this.#bus.presence.values()) nodes.delete(this.nodeId);
    for (const [id, node] of this.#bus.owners) if (node === this.nodeId) this.#bus.owners.delete(id);
  }
}
