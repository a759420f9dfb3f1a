import type {
  Broker,
  BusPacket,
  PacketBus,
  RoomsResult,
  RoutedPacket,
  TunnelDirectory,
  TunnelGrant,
  TunnelPort,
  TunnelReceiver,
} from '@hutong/core';
import type { RoomsRequest } from '@hutong/protocol';
import type { Logger } from 'pino';
import { ClusterRooms, type RoomPacket } from './cluster-rooms.js';
import { TunnelHub, type TunnelHubOptions } from './tunnel-hub.js';
import { locateOthers, splitHere } from './tunnel-owners.js';

/**
 * What the tunnel server needs of the cluster: where tunnels live and how pushes cross nodes. The
 * router owns its lifetime: `start` in `start`, `close` in `close`.
 */
export type TunnelBroker = TunnelDirectory & PacketBus & Pick<Broker, 'close'>;

/** A room publish carries its origin so the sending node, which delivered locally, skips it. */
type Published = RoutedPacket & { origin?: string };

/**
 * Pushes across nodes: tunnels open here get the frame at once; listed tunnels held elsewhere are
 * located through the broker and sent to their node; room broadcasts reach local members at once
 * and every other node through one publish; room moves and counts go through ClusterRooms. A
 * broker failure costs only the cross-node part of a push (counted in `stats.brokerErrors`); those
 * ids are not reported invalid, since they may well be alive.
 */
export class TunnelRouter implements TunnelPort {
  readonly hub: TunnelHub;
  /** Counters for metrics: broker failures, ids forwarded to other nodes, webhook retries and drops. */
  readonly stats = { brokerErrors: 0, forwarded: 0, webhookRetries: 0, webhookDrops: 0 };

  constructor(
    readonly broker: TunnelBroker,
    hubOptions: TunnelHubOptions,
    private readonly logger?: Logger,
  ) {
    this.hub = new TunnelHub({
      ...hubOptions,
      onOpen: (id) => this.#registry('register', id),
      onClose: (id) => this.#registry('unregister', id),
      adopt: async (id) => {
        const spec = await this.broker.claim(id);
        const receiver = spec === undefined ? undefined : this.#revive?.(spec);
        if (receiver) this.logger?.debug({ tunnelId: id }, 'tunnel adopted from another node');
        return receiver ? { receiver } : undefined;
      },
    });
    this.#rooms = new ClusterRooms(this.hub, broker, {
      logger,
      forwarded: (count) => {
        this.stats.forwarded += count;
      },
    });
  }

  readonly #rooms: ClusterRooms;

  #revive: ((spec: string) => TunnelReceiver | undefined) | undefined;

  /** How a node rebuilds an offered tunnel's receiver from its spec (set by the tunnel API). */
  set revive(revive: (spec: string) => TunnelReceiver | undefined) {
    this.#revive = revive;
  }

  /**
   * Lets any node of the cluster take this pending tunnel's socket (a load balancer without
   * affinity): `spec` must hold no secret; the node rebuilds the receiver with `revive`. Skipped
   * when the broker is alone (no other node).
   */
  offer(tunnelId: string, spec: () => string): void {
    if (this.broker.alone?.()) return; // the balancer can only send the socket here
    this.broker.offer(tunnelId, spec(), this.hub.pendingTtlMs).then(
      () => this.hub.markOffered(tunnelId),
      (err: unknown) => {
        this.stats.brokerErrors += 1;
        this.logger?.warn({ err }, 'tunnel offer failed; only this node can take its socket');
      },
    );
  }

  /** A pending tunnel on this node (TunnelPort; the hub's `allocate`). */
  allocate(receiver: TunnelReceiver, owner?: string): TunnelGrant {
    return this.hub.allocate(receiver, owner);
  }

  /** Room joins and leaves wherever the tunnels are open, presence across the cluster (TunnelPort). */
  applyRooms(request: RoomsRequest): Promise<RoomsResult> {
    return this.#rooms.apply(request);
  }

  async start(): Promise<void> {
    await this.broker.start((packets: BusPacket[]) =>
      this.#fromBroker(packets as (Published | RoomPacket)[]),
    );
  }

  async push(packets: readonly RoutedPacket[]): Promise<{ invalidTunnelIds: string[] }> {
    // The common case — one packet for tunnels all open here, no rooms — needs no broker.
    if (
      packets.length === 1 &&
      !packets[0]!.rooms?.length &&
      packets[0]!.tunnelIds.every((id) => this.hub.holds(id))
    ) {
      return this.hub.push(packets);
    }
    const invalid: string[] = [];
    for (const packet of packets) {
      const { here, elsewhere } = splitHere((id) => this.hub.holds(id), packet.tunnelIds);
      const { type, content } = packet;
      const base = content === undefined ? { type } : { type, content };
      invalid.push(
        ...this.hub.push([{ ...base, tunnelIds: here, ...(packet.rooms ? { rooms: packet.rooms } : {}) }])
          .invalidTunnelIds,
      );
      try {
        if (elsewhere.length > 0) {
          const { byNode, nowhere } = await locateOthers(this.broker, elsewhere);
          invalid.push(...nowhere);
          for (const [node, ids] of byNode) {
            this.stats.forwarded += ids.length;
            await this.broker.send(node, [{ ...base, tunnelIds: ids }]);
          }
        }
        if (packet.rooms && packet.rooms.length > 0) {
          await this.broker.publish([
            { ...base, tunnelIds: [], rooms: packet.rooms, origin: this.broker.nodeId } as Published,
          ]);
        }
      } catch (err) {
        this.stats.brokerErrors += 1;
        this.logger?.warn({ err }, 'cross-node push failed; local delivery done');
      }
    }
    return { invalidTunnelIds: invalid };
  }

  async close(code?: number, reason?: string): Promise<void> {
    await this.hub.close(code, reason);
    await this.broker.close();
  }

  #fromBroker(packets: (Published | RoomPacket)[]): void {
    const pushes: RoutedPacket[] = [];
    for (const packet of packets) {
      if ('op' in packet) this.#rooms.receive(packet);
      else if (packet.origin !== this.broker.nodeId) {
        const { origin: _origin, ...push } = packet;
        pushes.push(push);
      }
    }
    if (pushes.length > 0) this.hub.push(pushes);
  }

  #registry(op: 'register' | 'unregister', tunnelId: string): void {
    this.broker[op](tunnelId).catch((err: unknown) => {
      this.stats.brokerErrors += 1;
      this.logger?.warn({ err, tunnelId }, `tunnel ${op} failed`);
    });
  }
}
