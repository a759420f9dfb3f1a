import type { PushPacket } from '@hutong/protocol';

/** A push as it travels between nodes: the Wafer packet plus Hutong's room extension. */
export type RoutedPacket = PushPacket & { rooms?: readonly string[] };

/**
 * A room join or leave for tunnels held by the node it is sent to: a room's members live on the
 * nodes that hold their sockets, so a `/tunnel/rooms` call that reaches another node is carried
 * there. Told from a push packet by its `op`.
 */
export interface RoomMove {
  op: 'join' | 'leave';
  room: string;
  tunnelIds: string[];
}

/** A presence question published to every node; each answers its `RoomCounts` to `from`. */
export interface RoomCountQuery {
  op: 'count';
  /** Unique per question: the answers name it. */
  id: string;
  from: string;
  rooms: string[];
}

/** One node's members per room, the answer to the `RoomCountQuery` named `id`. */
export interface RoomCounts {
  op: 'counts';
  id: string;
  from: string;
  presence: Record<string, number>;
}

/** What the packet bus carries: pushes, and the rooms' moves and counts between nodes. */
export type BusPacket = RoutedPacket | RoomMove | RoomCountQuery | RoomCounts;

/**
 * What IM nodes tell each other: `inbox` — a user has inbox entries up to `iseq` (the node reads
 * them from the shared store and writes them to its devices of that user, in order); with
 * `message`, the entry `iseq` itself, ready to write (its frame and the key its ACK names): a
 * device whose next entry it is gets it without a store read, any other reads its inbox; `frame` — a
 * ready frame for every device of a user there (delivery receipts); `login` — a device of the user
 * logged in elsewhere (duplicate-login arbitration); `logout` — a session of the user was logged
 * out: close the connections logged in with it (`session`: a SHA-256 of its token, never the token;
 * absent: every session of the user).
 */
export type ImSignal =
  | { kind: 'inbox'; userId: string; iseq: number; message?: { frame: string; key: string } }
  | { kind: 'frame'; userId: string; frame: string }
  | { kind: 'login'; userId: string; device: string; firstLoginTime: number; clientFirstLoginTime: number }
  | { kind: 'logout'; userId: string; session?: string };

/*
 * The cluster seam, one interface per concern, so each user takes only what it uses: the tunnel
 * server `TunnelDirectory & PacketBus`, the IM hub `Presence & SignalBus`, the dashboard
 * `NodeReports`. `Broker` is all of them on one backend: what an implementation provides.
 *
 * Common to every interface: a node is live while it keeps heartbeating; one that stops (crash,
 * partition) is gone for the others within the node TTL (`nodeTtlMs`; an in-process bus knows at
 * once). While the backend is down, calls reject with `ERR_STORE_UNAVAILABLE`, and they work again
 * by themselves once it returns, without a restart.
 */

/**
 * Where each tunnel lives, and the hand-over of tunnels allocated on one node whose socket the load
 * balancer sends to another.
 *
 * Guarantees:
 * - Once `register` resolves, `locate` on any node finds the tunnel on this node (no delay).
 * - `locate` answers only for tunnels registered by nodes that are alive; a node that stops
 *   heartbeating stops owning its tunnels within `nodeTtlMs`, so they read as unknown — no ghosts.
 * - `claim` is atomic: of the nodes claiming one offer, one gets its spec; later claims get none.
 */
export interface TunnelDirectory {
  readonly nodeId: string;
  /** This node holds `tunnelId` from now on (in place of any node that held it before). */
  register(tunnelId: string): Promise<void>;
  /** This node no longer holds `tunnelId`. */
  unregister(tunnelId: string): Promise<void>;
  /** Owner node per tunnel id, for the ids that are registered on a live node. */
  locate(tunnelIds: readonly string[]): Promise<Map<string, string>>;
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
}

/**
 * How pushes reach other nodes: to the node holding a tunnel (`send`, pushes and room moves), or to
 * every node (`publish`, room broadcasts).
 *
 * Guarantees:
 * - `send` and `publish` are at-most-once and keep the order of one sender's calls, across both:
 *   a room move sent to a node before a room broadcast is published reaches that node first. A
 *   node receives its own `publish` too. Packets for a node that is gone are dropped, without an
 *   error.
 * - Delivery is asynchronous: `deliver` never runs inside `send` or `publish`.
 * - Local delivery does not depend on the bus: while its backend is down only the cross-node part
 *   fails, and it resumes by itself when the backend returns.
 */
export interface PacketBus {
  readonly nodeId: string;
  /** Starts receiving: `deliver` gets every packet sent to this node or published to all. */
  start(deliver: (packets: BusPacket[]) => void): Promise<void>;
  send(nodeId: string, packets: BusPacket[]): Promise<void>;
  publish(packets: BusPacket[]): Promise<void>;
  /**
   * The live nodes on the bus, this one included once started: a node that started is listed by
   * the others within the bus's delivery time, one that is gone drops out within the node TTL (at
   * once when it closed).
   */
  nodes(): Promise<string[]>;
}

/**
 * IM presence: which nodes hold devices of each user. The IM hub asks for every message and
 * receipt, so an implementation may answer `whereAre` from a local view that the other nodes' news
 * keeps up to date.
 *
 * Guarantees:
 * - Presence is per node, not counted: `enter` again changes nothing, one `leave` undoes it.
 * - A node's own `enter` and `leave` show in its next `whereAre`. The other nodes see them within
 *   the bus's delivery time (eventually, not at once): an answer may be that stale, or stale up to
 *   the implementation's cache lifetime if its backend lost news without dropping the connection.
 *   Callers must be safe with that: the IM hub keeps what it did not deliver in the inbox, and a
 *   device catches up at its next login or sync.
 * - Of two nodes that enter one user at the same time, each then asking `whereAre` about them (even
 *   before its `enter` resolved), one at least sees the other: duplicate-login arbitration relies
 *   on it.
 * - `whereAre` lists live nodes only: one that stops heartbeating drops out within `nodeTtlMs`.
 * - Users with devices on no live node are left out of the answer.
 */
export interface Presence {
  readonly nodeId: string;
  /** This node holds a device of `userId`, until `leave`. */
  enter(userId: string): Promise<void>;
  leave(userId: string): Promise<void>;
  /** The live nodes holding devices of each user (users with none are left out). */
  whereAre(userIds: readonly string[]): Promise<Map<string, string[]>>;
}

/**
 * IM signals to the node holding a user's devices (found through `Presence`).
 *
 * Guarantees: at most once, in the order of one sender's calls; apart from push packets (a
 * `PacketBus`'s `deliver` never gets them); signals for a node that is gone are dropped, without an
 * error.
 */
export interface SignalBus {
  signal(nodeId: string, signals: ImSignal[]): Promise<void>;
  /** Receives the IM signals sent to this node (set before or after `start`). */
  onSignals(listener: (signals: ImSignal[]) => void): void;
}

/**
 * Each node's latest stats (the dashboard).
 *
 * Guarantees: a report replaces the node's previous one; `reports` lists live nodes only (a node
 * that stops heartbeating drops out within `nodeTtlMs`), this one included once it reported.
 */
export interface NodeReports {
  /** Shares this node's latest stats (JSON), replacing its previous report. */
  report(stats: string): Promise<void>;
  /** The latest report of every live node, this one included, by node id. */
  reports(): Promise<Map<string, string>>;
}

/**
 * Every part of the cluster seam on one backend, with readiness and shutdown: what a broker
 * implements (LocalBroker, IpcBroker, RedisBroker) and `createHutong` hands to its users, each of
 * which keeps to the part it needs. The shared suite `brokerSuite` (`@hutong/core/testing`) holds
 * an implementation to every guarantee above.
 */
export interface Broker extends TunnelDirectory, PacketBus, Presence, SignalBus, NodeReports {
  readonly nodeId: string;
  /** Resolves when the backend answers (readiness); rejects with ERR_STORE_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  /** Leaves the cluster: this node's tunnels, presence and report are gone for the others. */
  close(): Promise<void>;
}
