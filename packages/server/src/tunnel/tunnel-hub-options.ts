import type { TunnelReceiver } from '@hutong/core';
import { DRAIN_CLOSE_CODE, SLOW_CONSUMER_CLOSE_CODE } from '@hutong/protocol/headers';
import type { Logger } from 'pino';
import type { RoomLimits } from './tunnel-rooms.js';

/** Close codes the tunnel server uses (4000–4099: reconnect may help; others: see RFC 6455). */
export const tunnelCloseCodes = {
  /** `close` packet from either side. */
  normal: 1000,
  /** Binary frame: the protocol is text only. */
  unsupportedData: 1003,
  /** Frame over `maxPayload` (set by ws). */
  tooBig: 1009,
  /** No frame and no pong within two heartbeat periods. */
  heartbeatTimeout: 4001,
  /** The socket's send buffer passed `maxBufferedBytes` (http/send-budget.ts): a slow consumer. Reconnect with backoff. */
  slowConsumer: SLOW_CONSUMER_CLOSE_CODE,
  /** The server is shutting down. */
  goingAway: 1001,
  /** The node is draining: reconnect at once, to another node (DRAIN_CLOSE_CODE). */
  draining: DRAIN_CLOSE_CODE,
} as const;

/**
 * The tunnel limits and timings when not configured: one list, read by the hub and by the
 * configuration (HUTONG_TUNNEL_*, docs/configuration.md), so the documented defaults are these.
 */
export const tunnelHubDefaults = {
  heartbeatSeconds: 15,
  pendingTtlMs: 60_000,
  maxPayload: 64 * 1024,
  maxBufferedBytes: 1024 * 1024,
  maxTunnels: 100_000,
  maxTunnelsPerOwner: 5,
  recoveryWindowMs: 120_000,
  recoveryMaxMessages: 1000,
  roomsPerTunnel: 100,
  /** Largest `ws/push` body: `data` may hold 1 Mi characters, escaped. */
  pushBodyBytes: 4 * 1024 * 1024,
} as const;

export interface TunnelHubOptions {
  /** Base of connect URLs, e.g. `ws://127.0.0.1:5757` or `wss://example.com`. */
  publicWsUrl: () => string;
  /** Sent to clients as `timeout:N`; they ping this often. Default 15 s (the Wafer default). */
  heartbeatSeconds?: number;
  /** A tunnel never connected is forgotten after this long. Default 60 s. */
  pendingTtlMs?: number;
  /** Largest frame. Default 64 KiB. */
  maxPayload?: number;
  /**
   * Send budget per socket: a socket whose send buffer is over this many bytes gets no more frames
   * and is closed with 4008 (slow consumer). Checked before every frame written. Default 1 MiB.
   */
  maxBufferedBytes?: number;
  /** Tunnels (pending and open) this node holds at most. Default 100,000. */
  maxTunnels?: number;
  /** Tunnels one owner (user) may hold at once, when allocations name it. Default 5, as WeChat's sockets. */
  maxTunnelsPerOwner?: number;
  rooms?: RoomLimits;
  /**
   * Message recovery for clients that connect with `recover=1`: how long a dropped tunnel waits
   * for its client to resume, and how long sent messages are kept for it. Default 2 minutes.
   */
  recoveryWindowMs?: number;
  /** Messages kept per recoverable tunnel at most. Default 1000. */
  recoveryMaxMessages?: number;
  logger?: Logger;
  /** Called when a tunnel's socket opens and when it closes (cluster registry). */
  onOpen?: (tunnelId: string) => void;
  /**
   * A socket came for a tunnel this node does not know: the receiver (and owner) of one that
   * another node allocated and offered, or undefined. Only for first connections, not resumes.
   */
  adopt?: (tunnelId: string) => Promise<{ receiver: TunnelReceiver; owner?: string } | undefined>;
  onClose?: (tunnelId: string) => void;
}
