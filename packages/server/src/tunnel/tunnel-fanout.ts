import { encodeFrame, type PushPacket } from '@hutong/protocol';
import type { SendBudget } from '../http/send-budget.js';
import { type PreparedFrame, prepareTextFrame } from './prepared-frame.js';
import type { Tunnel } from './tunnel.js';
import type { TunnelRegistry } from './tunnel-registry.js';
import type { TunnelRooms } from './tunnel-rooms.js';

export interface FanoutHooks {
  /** Ends a detached tunnel that was pushed a `close`. */
  end(tunnel: Tunnel): void;
  /** Counts a message written to a socket. */
  sent(): void;
  /** Closes an open socket after a pushed `close` frame was written. */
  close(tunnel: Tunnel): void;
}

/**
 * Pushes to this node's tunnels: each packet's frame is encoded once, as one prepared buffer, and
 * that buffer is written to every target socket (through the send budget); listed ids and room
 * members are de-duplicated, so a tunnel in both gets it once. A recoverable tunnel keeps each
 * message in its log, delivered or not: one detached gets it on its resume.
 */
export class TunnelFanout {
  constructor(
    private readonly registry: TunnelRegistry,
    private readonly rooms: TunnelRooms,
    private readonly budget: SendBudget,
    private readonly hooks: FanoutHooks,
  ) {}

  /** Delivers `packets`; answers the listed ids that are unknown, not connected or over budget. */
  push(packets: readonly (PushPacket & { rooms?: readonly string[] })[]): { invalidTunnelIds: string[] } {
    const invalid = new Set<string>();
    const now = Date.now();
    for (const packet of packets) {
      const frame = prepareTextFrame(
        packet.type === 'message' ? encodeFrame('message', packet.content ?? '') : encodeFrame('close'),
      );
      const rooms = packet.rooms ?? [];
      const ids = packet.tunnelIds;
      if (ids.length === 1 && rooms.length === 0) {
        // One listed id and no rooms (an echo, a reply): nothing to de-duplicate.
        if (!this.#deliver(ids[0]!, packet.type, frame, now)) invalid.add(ids[0]!);
        continue;
      }
      const listed = new Set(ids);
      for (const id of listed) if (!this.#deliver(id, packet.type, frame, now)) invalid.add(id);
      for (const room of rooms) {
        for (const id of this.rooms.members(room)) {
          if (!listed.has(id)) {
            listed.add(id); // a member of two rooms gets it once
            this.#deliver(id, packet.type, frame, now);
          }
        }
      }
    }
    return { invalidTunnelIds: [...invalid] };
  }

  /** Writes one frame to one tunnel; false when it is unknown, not connected, or a slow consumer. */
  #deliver(id: string, type: PushPacket['type'], frame: PreparedFrame, now: number): boolean {
    const tunnel = this.registry.get(id);
    const phase = tunnel?.state.phase;
    if (!tunnel || (phase !== 'open' && phase !== 'detached')) return false;
    if (tunnel.log && type === 'message') tunnel.log.append(frame, now);
    const socket = tunnel.socket;
    if (socket && this.budget.send(socket, frame)) {
      if (type === 'message') this.hooks.sent();
      else this.hooks.close(tunnel);
      return true;
    }
    // Not written. A recoverable tunnel waiting for its client (or just detached as a slow
    // consumer) keeps the message in its log, and ends now on a close.
    if (tunnel.state.phase !== 'detached') return false;
    if (type === 'close') this.hooks.end(tunnel);
    return true;
  }
}
