import type { RoomsRequest } from '@hutong/protocol';
import type { RoutedPacket } from './broker.js';
import type { TunnelReceiver } from './tunnel-receivers.js';

export interface TunnelGrant {
  tunnelId: string;
  connectUrl: string;
}

export type RoomsResult = { invalidTunnelIds: string[] } | { presence: Record<string, number> };

/**
 * The tunnel service as a business server in the same process uses it (the server's
 * `TunnelRouter` implements it): allocate a tunnel whose events go to `receiver`, push to tunnels
 * on any node of the cluster, and manage rooms.
 */
export interface TunnelPort {
  /** A pending tunnel and the URL its client connects to; throws ERR_TUNNEL_LIMIT when full. */
  allocate(receiver: TunnelReceiver, owner?: string): TunnelGrant;
  /** Delivers each packet to its tunnels and rooms; answers the ids that are not open anywhere. */
  push(packets: readonly RoutedPacket[]): Promise<{ invalidTunnelIds: string[] }>;
  /**
   * Joins or leaves tunnels wherever in the cluster they are open (answering the ids open nowhere),
   * or counts the members of rooms on this node.
   */
  applyRooms(request: RoomsRequest): Promise<RoomsResult>;
}
