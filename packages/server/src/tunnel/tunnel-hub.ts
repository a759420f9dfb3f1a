import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TunnelReceiver } from '@hutong/core';
import {
  decodeFrame,
  encodeFrame,
  HutongError,
  type PushPacket,
  type RoomsRequest,
  type TunnelEvent,
} from '@hutong/protocol';
import type { Logger } from 'pino';
import { type RawData, type Server, WebSocket, WebSocketServer } from 'ws';
import { SendBudget } from '../http/send-budget.js';
import { rejectUpgrade } from '../http/upgrade-router.js';
import { type PreparedFrame, prepareTextFrame } from './prepared-frame.js';
import { RecoveryLog } from './recovery-log.js';
import { type TunnelHubOptions, tunnelCloseCodes } from './tunnel-hub-options.js';
import { newResumeSecret, RESUME_PARAM, refuseResume, resumeFrame } from './tunnel-resume.js';
import { TunnelRooms } from './tunnel-rooms.js';

export { type TunnelHubOptions, tunnelCloseCodes } from './tunnel-hub-options.js';

/** Tunnel ids are 128 random bits in hex. */
const TUNNEL_ID = /^[0-9a-f]{32}$/;

interface Tunnel {
  id: string;
  receiver: TunnelReceiver;
  state: 'pending' | 'open' | 'closed';
  expiresAt: number;
  socket?: TunnelSocket | undefined;
  lastSeen: number;
  /** The tail of this tunnel's event deliveries while any is in flight: each waits for the previous one. */
  events?: Promise<void> | undefined;
  /** Set when the client asked for recovery: what was sent, for a resume after a drop. */
  log?: RecoveryLog<PreparedFrame>;
  /** A recoverable tunnel whose socket dropped: when, while waiting for the client to resume. */
  detachedAt?: number;
  /** Its socket opened once (it was announced to the business side and the registry). */
  opened?: boolean;
  /** Who asked for it (a user id), for the per-user limit. */
  owner?: string;
  /** Events handed over and not yet handled. */
  inFlight?: number;
  /** Offered to the cluster: its socket is taken here only after claiming it (`adopt`). */
  offered?: boolean;
  /** Recoverable tunnels: what the next resume must present (tunnel-resume.ts); its socket got it. */
  resumeSecret?: string;
}

export const CONNECT_PATH = '/tunnel/ws';

/** A tunnel's socket knows its tunnel, so one set of listener functions serves every socket. */
class TunnelSocket extends WebSocket {
  tunnel: Tunnel | undefined = undefined;
}

const ignore = () => {};

const refusal = (code: string, message: string) => JSON.stringify({ error: { code, message } });

/**
 * The tunnel server on one node: allocates tunnel ids, accepts the WebSocket of a pending tunnel,
 * speaks the Wafer frame protocol, forwards events to the tunnel's receiver (in order, per tunnel)
 * and delivers pushes. A push frame is encoded once and the same buffer is written to every socket.
 */
export class TunnelHub {
  readonly #tunnels = new Map<string, Tunnel>();
  readonly #byOwner = new Map<string, Set<string>>();
  readonly #wss: Server<typeof TunnelSocket>;
  /** Listeners shared by all sockets (`this` is the socket): no closures per connection. */
  readonly #listeners: {
    message: (this: WebSocket, data: RawData, isBinary: boolean) => void;
    pong: (this: WebSocket) => void;
    close: (this: WebSocket, code: number) => void;
  };
  readonly #options: Required<Omit<TunnelHubOptions, 'logger' | 'rooms' | 'onOpen' | 'onClose' | 'adopt'>> &
    Pick<TunnelHubOptions, 'adopt'>;
  readonly #onOpen: ((tunnelId: string) => void) | undefined;
  readonly #onClose: ((tunnelId: string) => void) | undefined;
  /** Named rooms of this node's open tunnels. */
  readonly rooms: TunnelRooms;
  readonly #logger: Logger | undefined;
  readonly #sweeper: NodeJS.Timeout;
  readonly #budget: SendBudget;
  /** Events dropped or failed per type, for metrics and tests. */
  readonly stats = { slowConsumers: 0, heartbeatTimeouts: 0, badFrames: 0, messagesIn: 0, messagesOut: 0 };

  constructor(options: TunnelHubOptions) {
    this.#options = {
      publicWsUrl: options.publicWsUrl,
      heartbeatSeconds: options.heartbeatSeconds ?? 15,
      pendingTtlMs: options.pendingTtlMs ?? 60_000,
      maxPayload: options.maxPayload ?? 64 * 1024,
      maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
      maxTunnels: options.maxTunnels ?? 100_000,
      maxTunnelsPerOwner: options.maxTunnelsPerOwner ?? 5,
      recoveryWindowMs: options.recoveryWindowMs ?? 120_000,
      recoveryMaxMessages: options.recoveryMaxMessages ?? 1000,
      ...(options.adopt ? { adopt: options.adopt } : {}),
    };
    this.#logger = options.logger;
    this.#onOpen = options.onOpen;
    this.#onClose = options.onClose;
    this.rooms = new TunnelRooms(options.rooms);
    this.#budget = new SendBudget(this.#options.maxBufferedBytes, (ws) =>
      this.#slowConsumer(ws as TunnelSocket),
    );
    this.#wss = new WebSocketServer({
      noServer: true,
      WebSocket: TunnelSocket,
      maxPayload: this.#options.maxPayload,
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
    const period = Math.max(
      100,
      Math.min(this.#options.heartbeatSeconds * 1000, this.#options.recoveryWindowMs) / 2,
    );
    this.#sweeper = setInterval(() => this.#sweep(), period).unref();
  }

  get size(): number {
    return this.#tunnels.size;
  }

  /** Number of open sockets. */
  get connected(): number {
    let n = 0;
    for (const tunnel of this.#tunnels.values()) if (tunnel.state === 'open') n += 1;
    return n;
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
    if (this.#tunnels.size >= this.#options.maxTunnels) this.#sweep();
    if (this.#tunnels.size >= this.#options.maxTunnels) {
      throw new HutongError(
        'ERR_TUNNEL_LIMIT',
        `This node holds ${this.#options.maxTunnels} tunnels already`,
      );
    }
    const owned = owner === undefined ? undefined : (this.#byOwner.get(owner) ?? new Set<string>());
    if (owned && owned.size >= this.#options.maxTunnelsPerOwner) {
      throw new HutongError(
        'ERR_TUNNEL_LIMIT',
        `A user may hold ${this.#options.maxTunnelsPerOwner} tunnels at once`,
      );
    }
    const id = givenId ?? randomBytes(16).toString('hex');
    const now = Date.now();
    if (owner !== undefined && owned) {
      owned.add(id);
      this.#byOwner.set(owner, owned);
    }
    this.#tunnels.set(id, {
      id,
      ...(owner === undefined ? {} : { owner }),
      receiver,
      state: 'pending',
      expiresAt: now + this.#options.pendingTtlMs,
      lastSeen: now,
    });
    const base = this.#options.publicWsUrl().replace(/\/+$/, '');
    return { tunnelId: id, connectUrl: `${base}${CONNECT_PATH}?tunnelId=${id}` };
  }

  /**
   * Upgrade handler for CONNECT_PATH. A pending, unexpired tunnel may connect once; with
   * `recover=1` it keeps a log of what it is sent. A recoverable tunnel may later be resumed with
   * `offset=N` (the count of messages the client got) and `resume=<secret>` (tunnel-resume.ts)
   * once its socket dropped: the new socket takes the tunnel and receives messages N+1… in order.
   * A resume without the secret is refused with 403 (any socket is left alone); one with it
   * replaces a socket the server still holds (tunnel-resume.ts); one whose messages are no longer
   * kept is refused with 410; anything else with 404.
   */
  handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, looked = false): void => {
    const id = url.searchParams.get('tunnelId') ?? '';
    const tunnel = this.#tunnels.get(id);
    const offsetParam = url.searchParams.get('offset');
    if (tunnel?.log && tunnel.state === 'open' && offsetParam !== null) {
      const refused = refuseResume(tunnel.resumeSecret, url.searchParams.get(RESUME_PARAM));
      if (refused) {
        rejectUpgrade(socket, refused.status, refused.statusText, refusal(refused.code, refused.message));
        return;
      }
      const missed = tunnel.log.since(Number(offsetParam), Date.now());
      if (!missed) {
        rejectUpgrade(
          socket,
          410,
          'Gone',
          refusal('ERR_TUNNEL_UNKNOWN', 'The messages since that offset are no longer kept'),
        );
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#resume(tunnel, ws, missed));
      return;
    }
    const again = () => this.handleUpgrade(req, socket, head, url, true);
    if (!tunnel && !looked && offsetParam === null && TUNNEL_ID.test(id)) {
      // Allocated on another node (the balancer sent the socket here): take it over if offered.
      const refuse = () =>
        rejectUpgrade(
          socket,
          503,
          'Service Unavailable',
          refusal('ERR_STORE_UNAVAILABLE', 'Cannot look the tunnel up'),
        );
      const looking = this.#claim(
        id,
        socket,
        (found) => {
          if (found && !this.#tunnels.has(id)) this.allocate(found.receiver, found.owner, id);
          again();
        },
        refuse,
      );
      if (looking) return;
    }
    if (tunnel?.state !== 'pending' || tunnel.expiresAt <= Date.now()) {
      rejectUpgrade(socket, 404, 'Not Found', refusal('ERR_TUNNEL_UNKNOWN', 'No such tunnel, or it expired'));
      return;
    }
    if (tunnel.offered && !looked) {
      // Offered to the cluster: claim it first, so no other node takes a second socket for it.
      const take = () => {
        delete tunnel.offered;
        again();
      };
      const looking = this.#claim(
        id,
        socket,
        (found) => {
          if (found) return take();
          this.#forget(tunnel);
          rejectUpgrade(socket, 404, 'Not Found', refusal('ERR_TUNNEL_UNKNOWN', 'Taken by another node'));
        },
        take, // the broker is down: nobody else can claim it either, so this node takes it
      );
      if (looking) return;
    }
    tunnel.state = 'open'; // claimed: a second upgrade with the same id is refused
    if (url.searchParams.get('recover') === '1') {
      tunnel.log = new RecoveryLog(this.#options.recoveryWindowMs, this.#options.recoveryMaxMessages);
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#open(tunnel, ws));
  };

  /**
   * Asks the cluster for an offered tunnel (`adopt`) while the upgrade waits; false when this hub
   * has no cluster to ask. The socket is held paused meanwhile and left alone if it went away.
   */
  #claim(
    id: string,
    socket: Duplex,
    then: (found: Awaited<ReturnType<NonNullable<TunnelHubOptions['adopt']>>>) => void,
    failed: () => void,
  ): boolean {
    const adopt = this.#options.adopt;
    if (!adopt) return false;
    socket.pause();
    adopt(id).then(
      (found) => {
        if (socket.destroyed) return;
        socket.resume();
        then(found);
      },
      () => {
        if (socket.destroyed) return;
        socket.resume();
        failed();
      },
    );
    return true;
  }

  /** How long an unconnected tunnel is kept, ms. */
  get pendingTtlMs(): number {
    return this.#options.pendingTtlMs;
  }

  /** Marks a pending tunnel as offered to the cluster (see `adopt`). */
  markOffered(tunnelId: string): void {
    const tunnel = this.#tunnels.get(tunnelId);
    if (tunnel?.state === 'pending') tunnel.offered = true;
  }

  /** Whether the tunnel's socket is open on this node. */
  holds(tunnelId: string): boolean {
    return this.#tunnels.get(tunnelId)?.state === 'open';
  }

  /** Joins an open tunnel to a room; false when the tunnel is not open on this node. */
  join(room: string, tunnelId: string): boolean {
    if (this.#tunnels.get(tunnelId)?.state !== 'open') return false;
    this.rooms.join(room, tunnelId);
    return true;
  }

  /** A `/tunnel/rooms` request: join or leave (answering invalid ids), or presence counts. */
  applyRooms(request: RoomsRequest): { invalidTunnelIds: string[] } | { presence: Record<string, number> } {
    if (request.op === 'presence') {
      return { presence: Object.fromEntries(request.rooms.map((room) => [room, this.rooms.count(room)])) };
    }
    const invalidTunnelIds: string[] = [];
    for (const id of request.tunnelIds) {
      if (request.op === 'leave') this.rooms.leave(request.room, id);
      else if (!this.join(request.room, id)) invalidTunnelIds.push(id);
    }
    return { invalidTunnelIds };
  }

  /**
   * Delivers Wafer push packets to `tunnelIds` and, as Hutong's extension, to every member of
   * `rooms`. Returns the listed ids that are unknown, not connected or closed.
   */
  push(packets: readonly (PushPacket & { rooms?: readonly string[] })[]): { invalidTunnelIds: string[] } {
    const invalid = new Set<string>();
    const now = Date.now();
    for (const packet of packets) {
      const frame = prepareTextFrame(
        packet.type === 'message' ? encodeFrame('message', packet.content ?? '') : encodeFrame('close'),
      );
      const rooms = packet.rooms ?? [];
      const [only] = packet.tunnelIds;
      if (packet.tunnelIds.length === 1 && rooms.length === 0 && only !== undefined) {
        // One listed id and no rooms (an echo, a reply): nothing to de-duplicate.
        if (!this.#deliver(only, packet.type, frame, now)) invalid.add(only);
        continue;
      }
      const listed = new Set(packet.tunnelIds);
      const targets = new Set(listed);
      for (const room of rooms) for (const id of this.rooms.members(room)) targets.add(id);
      for (const id of targets) {
        if (!this.#deliver(id, packet.type, frame, now) && listed.has(id)) invalid.add(id);
      }
    }
    return { invalidTunnelIds: [...invalid] };
  }

  /** Writes one frame to one tunnel; false when it is unknown, not connected, or a slow consumer. */
  #deliver(id: string, type: PushPacket['type'], frame: PreparedFrame, now: number): boolean {
    const tunnel = this.#tunnels.get(id);
    if (tunnel?.state !== 'open') return false;
    if (tunnel.log && type === 'message') tunnel.log.append(frame, now);
    const socket = tunnel.detachedAt === undefined ? tunnel.socket : undefined;
    if (socket && this.#budget.send(socket, frame)) {
      if (type === 'message') this.stats.messagesOut += 1;
      if (type === 'close') socket.close(tunnelCloseCodes.normal, 'closed by server');
      return true;
    }
    // Not written. A recoverable tunnel waiting for its client (or just detached as a slow
    // consumer) keeps the message in its log, and ends now on a close.
    if (tunnel.detachedAt === undefined) return false;
    if (type === 'close') this.#end(tunnel);
    return true;
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
    for (const tunnel of this.#tunnels.values()) {
      tunnel.socket?.close(code, reason);
      if (tunnel.events) events.push(tunnel.events);
    }
    await Promise.race([Promise.all(events), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    for (const tunnel of this.#tunnels.values()) tunnel.socket?.terminate();
    this.#tunnels.clear();
    this.#byOwner.clear();
    this.#wss.close();
  }

  #open(tunnel: Tunnel, ws: TunnelSocket): void {
    tunnel.opened = true;
    this.#attach(tunnel, ws);
    this.#onOpen?.(tunnel.id);
    this.#emit(tunnel, { tunnelId: tunnel.id, type: 'connect' });
  }

  #attach(tunnel: Tunnel, ws: TunnelSocket): void {
    tunnel.socket = ws;
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
    delete tunnel.detachedAt;
    this.#attach(tunnel, ws);
    // Over budget mid-replay: the socket is closed as a slow consumer and the tunnel detached
    // again; the client resumes from what it counted.
    for (const frame of missed) if (!this.#budget.send(ws, frame)) break;
  }

  /** A recoverable tunnel whose socket dropped waits for a resume; any other tunnel ends. */
  #socketClosed(tunnel: Tunnel, ws: TunnelSocket, code: number): void {
    ws.tunnel = undefined;
    if (tunnel.socket !== ws) return; // replaced by a resume
    const orderly = code === tunnelCloseCodes.normal;
    if (tunnel.log && !orderly && tunnel.state === 'open') {
      tunnel.socket = undefined;
      tunnel.detachedAt = Date.now();
      return;
    }
    this.#closed(tunnel);
  }

  /** Ends a detached tunnel: its close is reported now. */
  #end(tunnel: Tunnel): void {
    delete tunnel.detachedAt;
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
    switch (frame.value.type) {
      case 'ping':
        this.#budget.send(ws, 'pong');
        break;
      case 'message':
        this.stats.messagesIn += 1;
        this.#emit(tunnel, { tunnelId: tunnel.id, type: 'message', content: frame.value.content ?? '' });
        break;
      case 'emit': {
        // `emit:<id>:<message>`: a message the client wants acknowledged once the business side took it.
        const content = frame.value.content ?? '';
        const colon = content.indexOf(':');
        const id = content.slice(0, colon);
        if (colon < 1 || colon > 15 || !/^\d+$/.test(id)) {
          this.stats.badFrames += 1;
          break;
        }
        this.stats.messagesIn += 1;
        this.#emit(
          tunnel,
          { tunnelId: tunnel.id, type: 'message', content: content.slice(colon + 1) },
          (code) => {
            if (tunnel.socket === ws) {
              this.#budget.send(ws, code ? encodeFrame('nack', `${id}:${code}`) : encodeFrame('ack', id));
            }
          },
        );
        break;
      }
      case 'close':
        ws.close(tunnelCloseCodes.normal, 'closed by client');
        break;
      default:
        this.stats.badFrames += 1;
    }
  }

  #closed(tunnel: Tunnel): void {
    if (tunnel.state === 'closed') return;
    tunnel.state = 'closed';
    this.rooms.leaveAll(tunnel.id);
    if (tunnel.opened) this.#onClose?.(tunnel.id);
    this.#emit(tunnel, { tunnelId: tunnel.id, type: 'close' });
    // Forget the tunnel once its close event has been handed over.
    void (tunnel.events ?? Promise.resolve()).then(() => {
      if (this.#tunnels.get(tunnel.id) === tunnel) this.#forget(tunnel);
    });
  }

  /**
   * Hands an event to the tunnel's receiver after the previous one has been handled. When none is
   * in flight the receiver is called at once (an in-process handler then runs in this tick).
   * `settled` learns the outcome: no code when the receiver took it, an error code when not.
   */
  #emit(tunnel: Tunnel, event: TunnelEvent, settled?: (errorCode?: string) => void): void {
    const deliver = () =>
      tunnel.receiver.deliver(event).then(
        () => settled?.(),
        (err: unknown) => {
          const known = err instanceof HutongError && err.code === 'ERR_TUNNEL_DELIVERY'; // logged by the receiver
          if (!known)
            this.#logger?.error(
              { err, tunnelId: tunnel.id, type: event.type },
              'tunnel event handler failed',
            );
          settled?.('ERR_TUNNEL_DELIVERY');
        },
      );
    tunnel.inFlight = (tunnel.inFlight ?? 0) + 1;
    const done = () => {
      tunnel.inFlight = (tunnel.inFlight ?? 1) - 1;
      if (tunnel.inFlight === 0) tunnel.events = undefined; // idle tunnels hold no promise
    };
    tunnel.events = (tunnel.events ? tunnel.events.then(deliver) : deliver()).then(done);
  }

  #forget(tunnel: Tunnel): void {
    this.#tunnels.delete(tunnel.id);
    if (tunnel.owner === undefined) return;
    const owned = this.#byOwner.get(tunnel.owner);
    owned?.delete(tunnel.id);
    if (owned?.size === 0) this.#byOwner.delete(tunnel.owner);
  }

  /** Expires pending and detached tunnels, drops sockets silent for two heartbeat periods, probes quiet ones. */
  #sweep(): void {
    const now = Date.now();
    const deadline = this.#options.heartbeatSeconds * 2000;
    for (const tunnel of this.#tunnels.values()) {
      if (tunnel.detachedAt !== undefined) {
        if (now - tunnel.detachedAt > this.#options.recoveryWindowMs) this.#end(tunnel);
      } else if (tunnel.state !== 'closed' && !tunnel.socket && tunnel.expiresAt <= now) {
        // Never connected, or its WebSocket handshake failed after the id was claimed.
        this.#forget(tunnel);
      } else if (tunnel.state === 'open' && tunnel.socket) {
        if (now - tunnel.lastSeen > deadline) {
          this.stats.heartbeatTimeouts += 1;
          tunnel.socket.close(tunnelCloseCodes.heartbeatTimeout, 'heartbeat timeout');
          tunnel.socket.terminate();
        } else if (now - tunnel.lastSeen >= deadline / 2) {
          // Only sockets quiet for a whole period are probed: active ones prove themselves.
          tunnel.socket.ping();
        }
      }
    }
  }
}
