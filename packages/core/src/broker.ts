import type { PushPacket } from '@hutong/protocol';

/** A push as it travels between nodes: the Wafer packet plus Hutong's room extension. */
export type RoutedPacket = PushPacket & { rooms?: readonly string[] };

/**
 * What IM nodes tell each other: `inbox` — a user has inbox entries up to `iseq` (the node reads
 * them from the shared store and writes them to its devices of that user, in order); `frame` — a
 * ready frame for every device of a user there (delivery receipts); `login` — a device of the user
 * logged in elsewhere (duplicate-login arbitration); `logout` — a session of the user was logged
 * out: close the connections logged in with it (`session`: a SHA-256 of its token, never the token;
 * absent: every session of the user).
 */
export type ImSignal =
  | { kind: 'inbox'; userId: string; iseq: number }
  | { kind: 'frame'; userId: string; frame: string }
  | { kind: 'login'; userId: string; device: string; firstLoginTime: number; clientFirstLoginTime: number }
  | { kind: 'logout'; userId: string; session?: string };

/**
 * The cluster seam: where each tunnel lives, and how pushes reach the node that holds it; where
 * each IM user has devices, and how IM signals reach those nodes.
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
  /** IM presence: this node holds a device of `userId`, until `leave`. */
  enter(userId: string): Promise<void>;
  leave(userId: string): Promise<void>;
  /** The live nodes holding devices of each user (users with none are left out). */
  whereAre(userIds: readonly string[]): Promise<Map<string, string[]>>;
  /** IM signals to one node, at most once, in order per sender. */
  signal(nodeId: string, signals: ImSignal[]): Promise<void>;
  /** Receives the IM signals sent to this node (set before or after `start`). */
  onSignals(listener: (signals: ImSignal[]) => void): void;
  /**
   * A tunnel allocated here but not yet connected, which any node may take over when the load
   * balancer sends its socket elsewhere: `spec` says how to rebuild its receiver. Kept `ttlMs`.
   */
  offer(tunnelId: string, spec: string, ttlMs: number): Promise<void>;
  /** Takes an offered tunnel's spec, atomically: one node gets it, later calls get undefined. */
  claim(tunnelId: string): Promise<string | undefined>;
  /**
   * True when no other node can be handed this node's sockets (an in-process broker with no other
   * node on its bus): offers and claims are then skipped, saving a round trip per tunnel.
   * Absent: assume there are others.
   */
  alone?(): boolean;
  /** Resolves when the backend answers (readiness); rejects with ERR_STORE_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  /** Shares this node's latest stats (JSON; the dashboard), replacing its previous report. */
  report(stats: string): Promise<void>;
  /** The latest report of every live node, this one included, by node id. */
  reports(): Promise<Map<string, string>>;
  close(): Promise<void>;
}
