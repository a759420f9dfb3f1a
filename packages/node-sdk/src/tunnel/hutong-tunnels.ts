import type { TunnelHandler } from '@hutong/core';
import { messagePacket, type PushResult, type TunnelBackend, type TunnelGrant } from './tunnel-backend.js';

/**
 * Hutong's typed tunnel API for business servers: tunnels, pushes, rooms and presence, over a
 * TunnelBackend (Hutong in the same process, or its `/tunnel` API). Every call resolves with what
 * the tunnel server answered; pushes name the ids that were invalid.
 */
export class HutongTunnels {
  constructor(readonly backend: TunnelBackend) {}

  /**
   * A tunnel for a client. In process, `handler` gets its events directly; remotely, events are
   * POSTed to `receiveUrl` (see `handleTunnelCallback`).
   */
  open(options: { handler?: TunnelHandler; receiveUrl?: string; owner?: string }): Promise<TunnelGrant> {
    return this.backend.requestConnect(options.receiveUrl ?? '', options.handler, options.owner);
  }

  send(tunnelId: string, type: string, content: unknown): Promise<PushResult> {
    return this.backend.push([messagePacket([tunnelId], type, content)]);
  }

  broadcast(tunnelIds: string[], type: string, content: unknown): Promise<PushResult> {
    return this.backend.push([messagePacket(tunnelIds, type, content)]);
  }

  /** To every member of the rooms, on every node. */
  toRooms(rooms: string[], type: string, content: unknown): Promise<PushResult> {
    return this.backend.push([{ ...messagePacket([], type, content), rooms }]);
  }

  close(tunnelIds: string[]): Promise<PushResult> {
    return this.backend.push([{ tunnelIds, type: 'close' }]);
  }

  async join(room: string, tunnelIds: string[]): Promise<{ invalidTunnelIds: string[] }> {
    return (await this.backend.rooms({ op: 'join', room, tunnelIds })) as { invalidTunnelIds: string[] };
  }

  async leave(room: string, tunnelIds: string[]): Promise<void> {
    await this.backend.rooms({ op: 'leave', room, tunnelIds });
  }

  async presence(rooms: string[]): Promise<Record<string, number>> {
    return ((await this.backend.rooms({ op: 'presence', rooms })) as { presence: Record<string, number> })
      .presence;
  }
}
