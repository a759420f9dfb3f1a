import type { TunnelReceiver } from '@hutong/core';
import { WebSocket } from 'ws';
import type { PreparedFrame } from './prepared-frame.js';
import type { RecoveryLog } from './recovery-log.js';

/**
 * Where a tunnel is in its life. A state is replaced, never edited, so each field is there only in
 * the states where it means something:
 *
 * - `pending`: allocated, waiting for its socket until `expiresAt`; `offered` to the cluster (any
 *   node may take its socket after claiming it);
 * - `claiming`: a socket came and the cluster is being asked for the claim (a second socket for
 *   the same id is refused meanwhile);
 * - `open`: its socket is up;
 * - `detached`: a recoverable tunnel whose socket dropped `since` then, waiting for a resume;
 * - `closed`: its close event is on its way to the receiver; then it is forgotten.
 */
export type TunnelState =
  | { readonly phase: 'pending'; readonly expiresAt: number; readonly offered: boolean }
  | { readonly phase: 'claiming'; readonly expiresAt: number }
  | { readonly phase: 'open'; readonly socket: TunnelSocket }
  | { readonly phase: 'detached'; readonly since: number }
  | { readonly phase: 'closed' };

export type TunnelPhase = TunnelState['phase'];

/**
 * One tunnel: the one object a tunnel costs besides its socket. No closures or timers of its own:
 * the hub's shared listeners find it through its socket, and one sweep serves every tunnel.
 */
export class Tunnel {
  state: TunnelState;
  /** Last frame or pong from its socket (heartbeat). */
  lastSeen: number;
  /** Set when the client asked for recovery (`recover=1`): what was sent, for a resume. */
  log: RecoveryLog<PreparedFrame> | undefined;
  /** Recoverable tunnels: what a resume must present (tunnel-resume.ts); each of its sockets got it. */
  resumeSecret: string | undefined;
  /** The tail of this tunnel's event deliveries while any is in flight (tunnel-events.ts). */
  events: Promise<void> | undefined;
  /** Events handed over and not yet handled. */
  inFlight = 0;

  constructor(
    readonly id: string,
    readonly receiver: TunnelReceiver,
    /** Who asked for it (a user id), for the per-user limit. */
    readonly owner: string | undefined,
    expiresAt: number,
    now: number,
  ) {
    this.state = { phase: 'pending', expiresAt, offered: false };
    this.lastSeen = now;
  }

  /** Its socket while open. */
  get socket(): TunnelSocket | undefined {
    return this.state.phase === 'open' ? this.state.socket : undefined;
  }
}

/** A tunnel's socket knows its tunnel, so one set of listener functions serves every socket. */
export class TunnelSocket extends WebSocket {
  tunnel: Tunnel | undefined = undefined;
}
