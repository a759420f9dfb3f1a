import { randomUUID } from 'node:crypto';
import type {
  PacketBus,
  RoomCountQuery,
  RoomCounts,
  RoomMove,
  RoomsResult,
  TunnelDirectory,
} from '@hutong/core';
import type { RoomsRequest } from '@hutong/protocol';
import type { Logger } from 'pino';
import type { TunnelHub } from './tunnel-hub.js';
import { locateOthers, splitHere } from './tunnel-owners.js';

/** The room packets of the bus (broker.ts), told from pushes by their `op`. */
export type RoomPacket = RoomMove | RoomCountQuery | RoomCounts;

export interface ClusterRoomsOptions {
  /** How long a presence call waits for the other nodes' counts, ms. Default 1000. */
  countTimeoutMs?: number;
  logger?: Logger | undefined;
  /** Counts the ids whose move went to another node. */
  forwarded?: (count: number) => void;
}

/** A presence call waiting for the other nodes' counts. */
interface Counting {
  totals: Record<string, number>;
  missing: Set<string>;
  done: () => void;
}

/**
 * Rooms across the nodes of a cluster. A room's members live on the nodes that hold their sockets
 * (each hub's TunnelRooms); this carries what a `/tunnel/rooms` call on one node means for the
 * others:
 * - join and leave: the ids open here move at once; the others are located and a RoomMove is sent
 *   to their node before the call resolves, so a room broadcast published after it finds them.
 *   A join answers the ids open nowhere.
 * - presence: this node's members plus every other live node's, asked with one published
 *   RoomCountQuery. Nodes that have not answered within `countTimeoutMs` are left out (and logged):
 *   presence is a count, and a node that is going away should not hold every caller up.
 *
 * A broker failure rejects (ERR_STORE_UNAVAILABLE) after the local part is done; joins and leaves
 * are idempotent, so the call can be repeated.
 */
export class ClusterRooms {
  readonly #counting = new Map<string, Counting>();
  readonly #timeoutMs: number;

  constructor(
    private readonly hub: TunnelHub,
    private readonly broker: TunnelDirectory & PacketBus,
    private readonly options: ClusterRoomsOptions = {},
  ) {
    this.#timeoutMs = options.countTimeoutMs ?? 1000;
  }

  async apply(request: RoomsRequest): Promise<RoomsResult> {
    if (request.op === 'presence') return { presence: await this.#presence(request.rooms) };
    this.hub.rooms.checkName(request.room);
    const { here, elsewhere } = splitHere((id) => this.hub.holds(id), request.tunnelIds);
    const invalidTunnelIds = this.hub.moveRooms(request.op, request.room, here);
    if (elsewhere.length === 0) return { invalidTunnelIds };
    const { byNode, nowhere } = this.broker.alone?.()
      ? { byNode: new Map<string, string[]>(), nowhere: elsewhere }
      : await locateOthers(this.broker, elsewhere);
    if (request.op === 'join') invalidTunnelIds.push(...nowhere);
    for (const [node, tunnelIds] of byNode) {
      this.options.forwarded?.(tunnelIds.length);
      await this.broker.send(node, [{ op: request.op, room: request.room, tunnelIds }]);
    }
    return { invalidTunnelIds };
  }

  /** A room packet from the bus. */
  receive(packet: RoomPacket): void {
    switch (packet.op) {
      case 'join':
      case 'leave':
        this.#moved(packet);
        return;
      case 'count':
        if (packet.from === this.broker.nodeId) return; // our own question, published to all
        this.broker
          .send(packet.from, [
            {
              op: 'counts',
              id: packet.id,
              from: this.broker.nodeId,
              presence: this.hub.presence(packet.rooms),
            },
          ])
          .catch((err: unknown) => this.options.logger?.warn({ err }, 'room counts not sent'));
        return;
      case 'counts': {
        const counting = this.#counting.get(packet.id);
        if (!counting?.missing.delete(packet.from)) return; // late, or a node not asked
        for (const [room, count] of Object.entries(packet.presence)) {
          if (Object.hasOwn(counting.totals, room) && Number.isSafeInteger(count))
            counting.totals[room]! += count;
        }
        if (counting.missing.size === 0) counting.done();
      }
    }
  }

  async #presence(rooms: readonly string[]): Promise<Record<string, number>> {
    const totals = this.hub.presence(rooms);
    if (this.broker.alone?.()) return totals;
    const missing = new Set((await this.broker.nodes()).filter((node) => node !== this.broker.nodeId));
    if (missing.size === 0) return totals;
    const id = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<void>((resolve) => {
      this.#counting.set(id, { totals, missing, done: resolve });
      timer = setTimeout(() => {
        this.options.logger?.warn({ nodes: [...missing] }, 'room counts missing from nodes; left out');
        resolve();
      }, this.#timeoutMs);
    });
    try {
      await this.broker.publish([{ op: 'count', id, from: this.broker.nodeId, rooms: [...rooms] }]);
      await answered;
      return totals;
    } finally {
      clearTimeout(timer);
      this.#counting.delete(id);
    }
  }

  /**
   * Another node's room move for tunnels it found here. A tunnel that closed since is skipped; one
   * already in its most rooms stays out (the node that answered the call could not know).
   */
  #moved(move: RoomMove): void {
    for (const id of move.tunnelIds) {
      try {
        this.hub.moveRooms(move.op, move.room, [id]);
      } catch (err) {
        this.options.logger?.warn(
          { err, tunnelId: id, room: move.room },
          'room join from another node refused',
        );
      }
    }
  }
}
