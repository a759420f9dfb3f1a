import type { TunnelReceiver } from '@hutong/core';
import {
  decodeEmit,
  decodeFrame,
  encodeAck,
  encodeFrame,
  type PushPacket,
  type TunnelEvent,
} from '@hutong/protocol';
import type { Logger } from 'pino';
import { type RawData, type Server, type WebSocket, WebSocketServer } from 'ws';
import { SendBudget } from '../http/send-budget.js';
import type { PreparedFrame } from './prepared-frame.js';
import { type Tunnel, TunnelSocket } from './tunnel.js';
import { deliverEvent } from './tunnel-events.js';
import { TunnelFanout } from './tunnel-fanout.js';
import { type TunnelHubOptions, tunnelCloseCodes, tunnelHubDefaults } from './tunnel-hub-options.js';
import { TunnelRegistry } from './tunnel-registry.js';
import { newResumeSecret, resumeFrame } from './tunnel-resume.js';
import { TunnelRooms } from './tunnel-rooms.js';
import { TunnelUpgrades } from './tunnel-upgrades.js';

export { type TunnelHubOptions, tunnelCloseCodes } from './tunnel-hub-options.js';

export const CONNECT_PATH = '/tunnel/ws';

const ignore = () => {};

/** The options with every default filled in. */
type HubSettings = { -readonly [K in keyof typeof tunnelHubDefaults]: number } & Pick<
  TunnelHubOptions,
  'publicWsUrl' | 'adopt' | 'onOpen' | 'onClose'
>;

/**
 * The tunnel server on one node (docs/protocols/tunnel.md): allocates tunnels (TunnelRegistry),
 * admits their sockets (tunnel-admission.ts: first socket, resume, a tunnel of another node),
 * speaks the Wafer frame protocol, forwards each tunnel's events to its receiver in order
 * (tunnel-events.ts), pushes (TunnelFanout) and sweeps: pending and detached tunnels expire, silent
 * sockets are probed, then dropped. A tunnel's life is its TunnelState (tunnel.ts).
 */
export class TunnelHub {
  readonly #registry: TunnelRegistry;
  readonly #fanout: TunnelFanout;
  readonly #wss: Server<typeof TunnelSocket>;
  /** Listeners shared by all sockets (`this` is the socket): no closures per connection. */
  readonly #listeners: {
    message: (this: WebSocket, data: RawData, isBinary: boolean) => void;
    pong: (this: WebSocket) => void;
    close: (this: WebSocket, code: number) => void;
  };
  readonly #options: HubSettings;
  /** Named rooms of this node's open tunnels. */
  readonly rooms: TunnelRooms;
  readonly #logger: Logger | undefined;
  readonly #sweeper: NodeJS.Timeout;
  readonly #budget: SendBudget;
  readonly #upgrades: TunnelUpgrades;
  /** Events dropped or failed per type, for metrics and tests. */
  readonly stats = { slowConsumers: 0, heartbeatTimeouts: 0, badFrames: 0, messagesIn: 0, messagesOut: 0 };

  constructor(options: TunnelHubOptions) {
    this.#options = { ...tunnelHubDefaults, ...withoutUndefined(options) };
    const o = this.#options;
    this.#logger = options.logger;
    this.rooms = new TunnelRooms(options.rooms);
    this.#registry = new TunnelRegistry({
      maxTunnels: o.maxTunnels,
      maxTunnelsPerOwner: o.maxTunnelsPerOwner,
      pendingTtlMs: o.pendingTtlMs,
    });
    this.#budget = new SendBudget(o.maxBufferedBytes, (ws) => this.#slowConsumer(ws as TunnelSocket));
    this.#fanout = new TunnelFanout(this.#registry, this.rooms, this.#budget, {
      sent: () => {
        this.stats.messagesOut += 1;
      },
      close: (tunnel) => tunnel.socket?.close(tunnelCloseCodes.normal, 'closed by server'),
      end: (tunnel) => this.#closed(tunnel),
    });
    this.#wss = new WebSocketServer({
      noServer: true,
      WebSocket: TunnelSocket,
      maxPayload: o.maxPayload,
      perMessageDeflate: false,
    });
    const hub = this;
    this.#listeners = {
      message(data, isBinary) {
        const { tunnel } = this as TunnelSocket;
        if (tunnel) hub.#onFrame(tunnel, this, data, isBinary);
      },
      pong() {
        const { tunnel } = this as TunnelSocket;
        if (tunnel) tunnel.lastSeen = Date.now();
      },
      close(code) {
        const { tunnel } = this as TunnelSocket;
        if (tunnel) hub.#socketClosed(tunnel, this as TunnelSocket, code);
      },
    };
    this.#upgrades = new TunnelUpgrades(this.#registry, this.#wss, {
      pendingTtlMs: o.pendingTtlMs,
      recoveryWindowMs: o.recoveryWindowMs,
      recoveryMaxMessages: o.recoveryMaxMessages,
      ...(o.adopt ? { adopt: o.adopt } : {}),
      allocate: (receiver, owner, id) => this.allocate(receiver, owner, id),
      open: (tunnel, ws) => this.#open(tunnel, ws),
      resume: (tunnel, ws, missed) => this.#resume(tunnel, ws, missed),
    });
    const period = Math.max(100, Math.min(o.heartbeatSeconds * 1000, o.recoveryWindowMs) / 2);
    this.#sweeper = setInterval(() => this.#sweep(), period).unref();
  }

  /** Tunnels held, pending and open. */
  get size(): number {
    return this.#registry.size;
  }

  /** Number of open sockets. */
  get connected(): number {
    return this.#registry.connected;
  }

  /** How long an unconnected tunnel is kept, ms. */
  get pendingTtlMs(): number {
    return this.#options.pendingTtlMs;
  }

  /**
   * A new pending tunnel delivering to `receiver`: its id (128 random bits) and connect URL.
   * `owner` (a user id) counts against the per-user limit until the tunnel is gone.
   */
  allocate(
    receiver: TunnelReceiver,
    owner?: string,
    /** Adoption only: the id another node gave out. */
    givenId?: string,
  ): { tunnelId: string; connectUrl: string } {
    if (this.#registry.full) this.#sweep();
    const tunnel = this.#registry.allocate(receiver, owner, Date.now(), givenId);
    const base = this.#options.publicWsUrl().replace(/\/+$/, '');
    return { tunnelId: tunnel.id, connectUrl: `${base}${CONNECT_PATH}?tunnelId=${tunnel.id}` };
  }

  /** Marks a pending tunnel as offered to the cluster (see `adopt`). */
  markOffered(tunnelId: string): void {
    const tunnel = this.#registry.get(tunnelId);
    if (tunnel?.state.phase === 'pending') {
      this.#registry.move(tunnel, { phase: 'pending', expiresAt: tunnel.state.expiresAt, offered: true });
    }
  }

  /** Whether the tunnel's socket is open on this node (or it waits for its resume here). */
  holds(tunnelId: string): boolean {
    const phase = this.#registry.get(tunnelId)?.state.phase;
    return phase === 'open' || phase === 'detached';
  }

  /** Joins an open tunnel to a room; false when the tunnel is not open on this node. */
  join(room: string, tunnelId: string): boolean {
    if (!this.holds(tunnelId)) return false;
    this.rooms.join(room, tunnelId);
    return true;
  }

  /** Joins (or leaves) the tunnels open on this node; answers the ids a join found not open here. */
  moveRooms(op: 'join' | 'leave', room: string, tunnelIds: Iterable<string>): string[] {
    const notHere: string[] = [];
    for (const id of tunnelIds) {
      if (op === 'leave') this.rooms.leave(room, id);
      else if (!this.join(room, id)) notHere.push(id);
    }
    return notHere;
  }

  /** Members of each room on this node. */
  presence(rooms: readonly string[]): Record<string, number> {
    return Object.fromEntries(rooms.map((room) => [room, this.rooms.count(room)]));
  }

  /**
   * Delivers Wafer push packets to `tunnelIds` and, as Hutong's extension, to every member of
   * `rooms`. Returns the listed ids that are unknown, not connected or closed.
   */
  push(packets: readonly (PushPacket & { rooms?: readonly string[] })[]): { invalidTunnelIds: string[] } {
    return this.#fanout.push(packets);
  }

  /** Upgrade handler for CONNECT_PATH (TunnelUpgrades). */
  get handleUpgrade(): TunnelUpgrades['handle'] {
    return this.#upgrades.handle;
  }

  /** Over its send budget: closed with 4008 and, from now on, treated as gone (detached or closed). */
  #slowConsumer(ws: TunnelSocket): void {
    this.stats.slowConsumers += 1;
    const { tunnel } = ws;
    ws.close(tunnelCloseCodes.slowConsumer, 'slow consumer');
    if (tunnel) this.#socketClosed(tunnel, ws, tunnelCloseCodes.slowConsumer);
  }

  /**
   * Closes every socket (by default going away; a drain asks clients to reconnect elsewhere) and
   * stops timers. Pending events are awaited.
   */
  async close(code: number = tunnelCloseCodes.goingAway, reason = 'server shutting down'): Promise<void> {
    clearInterval(this.#sweeper);
    const events: Promise<void>[] = [];
    for (const tunnel of this.#registry.values()) {
      tunnel.socket?.close(code, reason);
      if (tunnel.events) events.push(tunnel.events);
    }
    await Promise.race([Promise.all(events), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    for (const tunnel of this.#registry.values()) tunnel.socket?.terminate();
    this.#registry.clear();
    this.#wss.close();
  }

  #open(tunnel: Tunnel, ws: TunnelSocket): void {
    this.#attach(tunnel, ws);
    this.#options.onOpen?.(tunnel.id);
    this.#emit(tunnel, { tunnelId: tunnel.id, type: 'connect' });
  }

  #attach(tunnel: Tunnel, ws: TunnelSocket): void {
    this.#registry.move(tunnel, { phase: 'open', socket: ws });
    tunnel.lastSeen = Date.now();
    ws.tunnel = tunnel;
    this.#budget.send(ws, encodeFrame('timeout', String(this.#options.heartbeatSeconds)));
    if (tunnel.log) {
      // One secret for the tunnel's life, repeated to each of its sockets: a socket killed before
      // the frame reached the client must not leave it holding a secret the server dropped.
      tunnel.resumeSecret ??= newResumeSecret();
      this.#budget.send(ws, resumeFrame(tunnel.resumeSecret));
    }
    ws.on('message', this.#listeners.message);
    ws.on('pong', this.#listeners.pong);
    ws.on('error', ignore);
    ws.on('close', this.#listeners.close);
  }

  /** A resume with the secret (refuseResume): a socket the server still holds is stale, dropped. */
  #resume(tunnel: Tunnel, ws: TunnelSocket, missed: PreparedFrame[]): void {
    const stale = tunnel.socket;
    if (stale) {
      stale.tunnel = undefined;
      stale.terminate();
    }
    this.#attach(tunnel, ws);
    // Over budget mid-replay: the socket is closed as a slow consumer and the tunnel detached
    // again; the client resumes from what it counted.
    for (const frame of missed) if (!this.#budget.send(ws, frame)) break;
  }

  /** A recoverable tunnel whose socket dropped waits for a resume; any other tunnel ends. */
  #socketClosed(tunnel: Tunnel, ws: TunnelSocket, code: number): void {
    ws.tunnel = undefined;
    if (tunnel.socket !== ws) return; // replaced by a resume
    if (tunnel.log && code !== tunnelCloseCodes.normal) {
      this.#registry.move(tunnel, { phase: 'detached', since: Date.now() });
      return;
    }
    this.#closed(tunnel);
  }

  #onFrame(tunnel: Tunnel, ws: WebSocket, data: RawData, isBinary: boolean): void {
    tunnel.lastSeen = Date.now();
    if (isBinary) {
      this.stats.badFrames += 1;
      ws.close(tunnelCloseCodes.unsupportedData, 'text frames only');
      return;
    }
    const frame = decodeFrame(data.toString());
    if (!frame.ok) {
      // Unknown packet types are ignored, as the official clients do; the socket stays up.
      this.stats.badFrames += 1;
      return;
    }
    const content = frame.value.content ?? '';
    switch (frame.value.type) {
      case 'ping':
        this.#budget.send(ws, encodeFrame('pong'));
        break;
      case 'message':
        this.stats.messagesIn += 1;
        this.#emit(tunnel, { tunnelId: tunnel.id, type: 'message', content });
        break;
      case 'emit': {
        // A message the client wants acknowledged once the business side took it.
        const emit = decodeEmit(content);
        if (!emit) {
          this.stats.badFrames += 1;
          break;
        }
        this.stats.messagesIn += 1;
        this.#emit(tunnel, { tunnelId: tunnel.id, type: 'message', content: emit.message }, (code) => {
          if (tunnel.socket === ws) this.#budget.send(ws, encodeAck(emit.id, code));
        });
        break;
      }
      case 'close':
        ws.close(tunnelCloseCodes.normal, 'closed by client');
        break;
      default:
        this.stats.badFrames += 1;
    }
  }

  /** The tunnel ends: it leaves its rooms, the close event is sent, then it is forgotten. */
  #closed(tunnel: Tunnel): void {
    if (tunnel.state.phase === 'closed') return;
    this.#registry.move(tunnel, { phase: 'closed' });
    this.rooms.leaveAll(tunnel.id);
    this.#options.onClose?.(tunnel.id);
    this.#emit(tunnel, { tunnelId: tunnel.id, type: 'close' });
    void (tunnel.events ?? Promise.resolve()).then(() => this.#registry.forget(tunnel));
  }

  #emit(tunnel: Tunnel, event: TunnelEvent, settled?: (errorCode?: string) => void): void {
    deliverEvent(tunnel, event, this.#logger, settled);
  }

  /** Expires pending and detached tunnels, drops sockets silent for two heartbeat periods, probes quiet ones. */
  #sweep(): void {
    const now = Date.now();
    const deadline = this.#options.heartbeatSeconds * 2000;
    for (const tunnel of this.#registry.values()) {
      const { state } = tunnel;
      if (state.phase === 'detached') {
        if (now - state.since > this.#options.recoveryWindowMs) this.#closed(tunnel);
      } else if ((state.phase === 'pending' || state.phase === 'claiming') && state.expiresAt <= now) {
        // Never connected, or its WebSocket handshake failed after it was claimed.
        this.#registry.forget(tunnel);
      } else if (state.phase === 'open') {
        if (now - tunnel.lastSeen > deadline) {
          this.stats.heartbeatTimeouts += 1;
          state.socket.close(tunnelCloseCodes.heartbeatTimeout, 'heartbeat timeout');
          state.socket.terminate();
        } else if (now - tunnel.lastSeen >= deadline / 2) {
          // Only sockets quiet for a whole period are probed: active ones prove themselves.
          state.socket.ping();
        }
      }
    }
  }
}

/** `options` without its undefined values, so defaults fill them. */
function withoutUndefined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T;
}
