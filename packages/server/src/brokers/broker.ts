import type { PushPacket } from '@hutong/protocol';

/** A push as it travels between nodes: the Wafer packet plus Hutong's room extension. */
export type RoutedPacket = PushPacket & { rooms?: readonly string[] };

/**
 * The cluster seam: where each tunnel lives, and how pushes reach the node that holds it.
 *
 * Guarantees:
 * - `locate` answers only for tunnels registered by nodes that are alive; a node that stops
 *   heartbeating (crash, partition) stops owning its tunnels within `nodeTtlMs`, so its tunnels
 *   read as unknown — no ghosts.
 * - `send` to one node and `publish` to all are at-most-once and keep the order of one sender's
 *   calls; a node receives its own `publish` too.
 * - While the backend is down, calls reject with `ERR_STORE_UNAVAILABLE`; local delivery does not
 *   depend on the broker, and cross-node delivery resumes by itself when it returns.
 */
export interface Broker {
  readonly nodeId: string;
  /** Starts receiving: `deliver` gets every packet sent to this node or published to all. */
  start(deliver: (packets: RoutedPacket[]) => void): Promise<void>;
  register(tunnelId: string): Promise<void>;
  unregister(tunnelId: string): Promise<void>;
  /** Owner node per tunnel id, for the ids that are registered on a live node. */
  locate(tunnelIds: readonly string[]): Promise<Map<string, string>>;
  send(nodeId: string, packets: RoutedPacket[]): Promise<void>;
  publish(packets: RoutedPacket[]): Promise<void>;
  close(): Promise<void>;
}
