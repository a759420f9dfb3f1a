import { HutongError } from '@hutong/protocol';
import { tunnelHubDefaults } from './tunnel-hub-options.js';

export interface RoomLimits {
  /** Rooms one tunnel may be in. Default 100. */
  roomsPerTunnel?: number;
  /** Longest room name. Default 128 characters. */
  maxRoomName?: number;
}

/**
 * Named rooms of tunnels on one node: join and leave by tunnel id, members for a broadcast,
 * presence counts. A tunnel leaves all its rooms when it closes.
 */
export class TunnelRooms {
  readonly #members = new Map<string, Set<string>>();
  readonly #roomsOf = new Map<string, Set<string>>();
  readonly #perTunnel: number;
  readonly #maxName: number;

  constructor(limits: RoomLimits = {}) {
    this.#perTunnel = limits.roomsPerTunnel ?? tunnelHubDefaults.roomsPerTunnel;
    this.#maxName = limits.maxRoomName ?? 128;
  }

  /** Rooms with at least one tunnel. */
  get size(): number {
    return this.#members.size;
  }

  /** Throws ERR_BAD_REQUEST for a name no tunnel may join. */
  checkName(room: string): void {
    if (room.length === 0 || room.length > this.#maxName) {
      throw new HutongError('ERR_BAD_REQUEST', `Room names have 1 to ${this.#maxName} characters`);
    }
  }

  join(room: string, tunnelId: string): void {
    this.checkName(room);
    let rooms = this.#roomsOf.get(tunnelId);
    if (rooms?.has(room)) return;
    if ((rooms?.size ?? 0) >= this.#perTunnel) {
      throw new HutongError('ERR_TUNNEL_LIMIT', `A tunnel may be in ${this.#perTunnel} rooms at most`);
    }
    if (!rooms) {
      rooms = new Set();
      this.#roomsOf.set(tunnelId, rooms);
    }
    rooms.add(room);
    let members = this.#members.get(room);
    if (!members) {
      members = new Set();
      this.#members.set(room, members);
    }
    members.add(tunnelId);
  }

  leave(room: string, tunnelId: string): void {
    this.#roomsOf.get(tunnelId)?.delete(room);
    const members = this.#members.get(room);
    if (!members) return;
    members.delete(tunnelId);
    if (members.size === 0) this.#members.delete(room);
  }

  leaveAll(tunnelId: string): void {
    for (const room of this.#roomsOf.get(tunnelId) ?? []) this.leave(room, tunnelId);
    this.#roomsOf.delete(tunnelId);
  }

  members(room: string): ReadonlySet<string> {
    return this.#members.get(room) ?? new Set();
  }

  /** Members per room, for presence. */
  count(room: string): number {
    return this.#members.get(room)?.size ?? 0;
  }

  roomsOf(tunnelId: string): string[] {
    return [...(this.#roomsOf.get(tunnelId) ?? [])];
  }
}
