import { DRAIN_CLOSE_CODE } from '@hutong/protocol/headers';
import { backoffDelay } from './backoff.js';
import type { HutongClient } from './client.js';
import { clientErrorTypes, TunnelError } from './errors.js';
import type { PlatformSocket } from './platform.js';

/** Wafer's status strings (`tunnel.status`); `tunnel.state` is the same in lower case. */
export const tunnelStatus = {
  closed: 'CLOSED',
  connecting: 'CONNECTING',
  active: 'ACTIVE',
  reconnecting: 'RECONNECTING',
} as const;
export type TunnelState = keyof typeof tunnelStatus;

/** Wafer's numeric error codes in `error` events. */
export const tunnelErrorCodes = {
  /** The business server's tunnel URL did not answer with a connect URL. */
  connectService: 1001,
  /** The first WebSocket did not open. */
  connectSocket: 1002,
  /** Reconnecting failed `maxReconnectTries` times; the tunnel is closed. */
  reconnect: 2001,
  /** The socket reported an error. */
  socketError: 3001,
} as const;

export interface TunnelErrorEvent {
  code: number;
  message: string;
  detail: unknown;
}

/** Built-in events; any other name is a message type from the server. */
export interface TunnelEvents {
  connect: undefined;
  close: undefined;
  reconnecting: undefined;
  /** `resumed`: the server replayed what was missed (recovery); false: a new tunnel, messages may be lost. */
  reconnect: { resumed: boolean };
  error: TunnelErrorEvent;
  state: { from: TunnelState; to: TunnelState };
}

const builtIn = new Set(['connect', 'close', 'reconnecting', 'reconnect', 'error', 'state']);
/** The Wafer clients escape only their five built-in names; `state` is Hutong's and escaped too. */
const escaped = (type: string) => (builtIn.has(type) ? `@${type}` : type);

export interface TunnelOptions {
  /** Reconnect attempts after a drop before giving up with error 2001. Default 5 (Wafer). */
  maxReconnectTries?: number;
  /** First reconnect wait; doubles each try, with jitter. Default 1000 ms. */
  reconnectDelayMs?: number;
  /** Longest wait between tries. Default 30 s. */
  maxReconnectDelayMs?: number;
  /**
   * Ask the server to keep what it sends while the socket is down and resume from the last
   * message received (Hutong). Other servers ignore it. Default true.
   */
  recover?: boolean;
  /** How long `emit(…, {ack: true})` waits for the server's acknowledgement. Default 10 s. */
  ackTimeoutMs?: number;
  /** Messages held while not connected. Default 1000; more fail with ERR_QUEUE_FULL. */
  maxQueued?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: message payloads are whatever the server sent
type Handler = (payload: any) => void;
type AnyHandler = (type: string, payload: unknown) => void;

/**
 * A tunnel to a Wafer-style tunnel server. The Wafer client's API — `open`, `on`, `emit`,
 * `close`, events `connect`/`close`/`reconnecting`/`reconnect`/`error` and message types (`@`
 * escaped when they collide) — with several tunnels at once, promises for acknowledged emits,
 * reconnect with exponential backoff and jitter, heartbeat per the server's `timeout:N`, pause
 * while the app is hidden or offline, and message recovery against Hutong.
 *
 * States: closed → connecting → active ⇄ reconnecting → closed. A first connection that fails
 * ends in closed with error 1001/1002 (as Wafer); a drop of an active tunnel reconnects.
 */
export class Tunnel {
  static readonly STATUS_CLOSED = tunnelStatus.closed;
  static readonly STATUS_CONNECTING = tunnelStatus.connecting;
  static readonly STATUS_ACTIVE = tunnelStatus.active;
  static readonly STATUS_RECONNECTING = tunnelStatus.reconnecting;
  static readonly ERR_CONNECT_SERVICE = tunnelErrorCodes.connectService;
  static readonly ERR_CONNECT_SOCKET = tunnelErrorCodes.connectSocket;
  static readonly ERR_RECONNECT = tunnelErrorCodes.reconnect;
  static readonly ERR_SOCKET_ERROR = tunnelErrorCodes.socketError;

  readonly serviceUrl: string;
  /** The connect URL in use (Wafer: `socketUrl`). */
  socketUrl: string | null = null;
  /** Frames that could not be read (ignored). */
  readonly stats = { badFrames: 0, received: 0, resumes: 0 };

  readonly #client: HutongClient;
  readonly #options: Required<TunnelOptions>;
  readonly #handlers = new Map<string, Set<Handler>>();
  readonly #any = new Set<AnyHandler>();
  #state: TunnelState = 'closed';
  #socket: PlatformSocket | undefined;
  /** Bumped by every connection attempt and by close: callbacks of older attempts are ignored. */
  #attempt = 0;
  #everOpened = false;
  #ended = false;
  /** `message` frames received on the current server-side tunnel (the recovery offset). */
  #offset = 0;
  #resumable = false;
  /** The secret the server gave this socket (`resume:<secret>`); a resume presents it. */
  #resumeSecret: string | undefined;
  /** Resume attempts in a row whose socket failed before it opened. */
  #failedResumes = 0;
  #tries = 0;
  #heartbeatMs = 15_000;
  #pingTimer: unknown;
  #pongTimer: unknown;
  #reconnectTimer: unknown;
  #queue: string[] = [];
  #acks = new Map<number, { resolve: () => void; reject: (error: Error) => void; timer: unknown }>();
  #nextAck = 1;
  #hidden = false;
  #online = true;
  #unsubscribe: (() => void)[] = [];

  constructor(client: HutongClient, serviceUrl: string, options: TunnelOptions = {}) {
    this.#client = client;
    this.serviceUrl = serviceUrl;
    this.#options = {
      maxReconnectTries: options.maxReconnectTries ?? 5,
      reconnectDelayMs: options.reconnectDelayMs ?? 1000,
      maxReconnectDelayMs: options.maxReconnectDelayMs ?? 30_000,
      recover: options.recover ?? true,
      ackTimeoutMs: options.ackTimeoutMs ?? 10_000,
      maxQueued: options.maxQueued ?? 1000,
    };
  }

  get state(): TunnelState {
    return this.#state;
  }

  get status(): (typeof tunnelStatus)[TunnelState] {
    return tunnelStatus[this.#state];
  }

  isClosed = () => this.#state === 'closed';
  isConnecting = () => this.#state === 'connecting';
  isActive = () => this.#state === 'active';
  isReconnecting = () => this.#state === 'reconnecting';

  /** Listens to a built-in event, a message type, or `*` (every event: `(type, payload)`). Returns an unsubscribe function. */
  on<K extends keyof TunnelEvents>(event: K, handler: (payload: TunnelEvents[K]) => void): () => void;
  on(event: '*', handler: AnyHandler): () => void;
  on(event: string, handler: Handler): () => void;
  on(event: string, handler: Handler | AnyHandler): () => void {
    if (typeof handler !== 'function') return () => {};
    if (event === '*') {
      this.#any.add(handler as AnyHandler);
      return () => this.#any.delete(handler as AnyHandler);
    }
    const set = this.#handlers.get(event) ?? new Set();
    set.add(handler as Handler);
    this.#handlers.set(event, set);
    return () => set.delete(handler as Handler);
  }

  off(event: string, handler: Handler | AnyHandler): void {
    if (event === '*') this.#any.delete(handler as AnyHandler);
    else this.#handlers.get(event)?.delete(handler as Handler);
  }

  /** Connects. A second call while connecting or connected does nothing. */
  open(): void {
    if (this.#state !== 'closed') return;
    this.#ended = false;
    this.#everOpened = false;
    this.#tries = 0;
    this.#resumable = false;
    this.#resumeSecret = undefined;
    this.#listenToHost();
    this.#setState('connecting');
    void this.#connect();
  }

  /**
   * Sends a message `{type, content}`. Before the socket is open it is queued and sent on
   * connect. With `{ack: true}` it resolves once the server has handed it to the business side
   * (Hutong), and rejects with ERR_ACK_TIMEOUT / ERR_ACK_REFUSED otherwise. After `close()` it
   * throws (or rejects) ERR_TUNNEL_CLOSED.
   */
  emit(type: string, content?: unknown): void;
  emit(type: string, content: unknown, options: { ack: true; timeoutMs?: number }): Promise<void>;
  emit(
    type: string,
    content?: unknown,
    options?: { ack?: boolean; timeoutMs?: number },
  ): void | Promise<void> {
    const body = JSON.stringify({ type, content });
    if (!options?.ack) {
      this.#enqueue(`message:${body}`);
      return;
    }
    return new Promise<void>((resolve, reject) => {
      const id = this.#nextAck++;
      this.#enqueue(`emit:${id}:${body}`);
      const platform = this.#client.platform;
      const timer = platform.setTimeout(() => {
        this.#acks.delete(id);
        reject(
          new TunnelError(
            clientErrorTypes.ackTimeout,
            `no acknowledgement within ${this.#options.ackTimeoutMs} ms`,
          ),
        );
      }, options.timeoutMs ?? this.#options.ackTimeoutMs);
      this.#acks.set(id, { resolve, reject, timer });
    });
  }

  /** Closes the tunnel for good (an orderly `close` to the server). Idempotent. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#attempt += 1;
    this.#stopTimers();
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) {
      if (this.#state === 'active') socket.send('close');
      socket.close(1000, 'closed by client');
    }
    this.#ended = true;
    this.#queue = [];
    for (const [id, ack] of this.#acks) {
      this.#client.platform.clearTimeout(ack.timer);
      ack.reject(new TunnelError(clientErrorTypes.tunnelClosed, 'the tunnel was closed'));
      this.#acks.delete(id);
    }
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#setState('closed');
    this.#dispatch('close', undefined);
  }

  // ---- connection ---------------------------------------------------------------------------

  async #connect(): Promise<void> {
    const attempt = ++this.#attempt;
    if (this.#resumable && this.socketUrl) {
      const url = withParam(this.socketUrl, 'offset', String(this.#offset));
      // Hutong refuses a resume without the secret its last socket got; an older server sends none.
      const secret = this.#resumeSecret;
      this.#openSocket(secret === undefined ? url : withParam(url, 'resume', secret), attempt, true);
      return;
    }
    let url: string | undefined;
    let detail: unknown;
    try {
      const response = await this.#client.request({ url: this.serviceUrl, method: 'GET' });
      detail = response;
      if (response.statusCode === 200) url = connectUrlOf(response.data);
    } catch (error) {
      detail = error;
    }
    if (attempt !== this.#attempt) return; // closed or superseded meanwhile
    if (!url) {
      this.#failed(
        tunnelErrorCodes.connectService,
        '连接信道服务失败，网络错误或者信道服务没有正确响应',
        detail,
      );
      return;
    }
    this.socketUrl = this.#options.recover ? withParam(url, 'recover', '1') : url;
    this.#offset = 0;
    this.#resumeSecret = undefined;
    this.#openSocket(this.socketUrl, attempt, false);
  }

  #openSocket(url: string, attempt: number, resuming: boolean): void {
    let socket: PlatformSocket;
    try {
      socket = this.#client.platform.connect(url);
    } catch (error) {
      this.#failed(tunnelErrorCodes.connectSocket, '打开 WebSocket 失败', error);
      return;
    }
    this.#socket = socket;
    let opened = false;
    let gone = false;
    const current = () => attempt === this.#attempt && this.#socket === socket;
    socket.onOpen(() => {
      if (!current()) return;
      opened = true;
      this.#opened(resuming);
    });
    socket.onMessage((data) => {
      if (current()) this.#onFrame(data);
    });
    const drop = (detail: unknown) => {
      if (gone || !current()) return;
      gone = true;
      this.#socket = undefined;
      if (opened) this.#dropped(detail);
      else if (resuming) {
        // A refused resume (404/410: the server no longer keeps this tunnel) and a network failure
        // during the handshake look the same (1006): resume once more, then start a new tunnel.
        this.#failedResumes += 1;
        if (this.#failedResumes < 2) this.#scheduleReconnect(detail);
        else {
          this.#resumable = false;
          this.#scheduleReconnect(detail, 0);
        }
      } else this.#failed(tunnelErrorCodes.connectSocket, 'WebSocket 连接失败', detail);
    };
    socket.onClose((code, reason) => drop({ code, reason }));
    socket.onError((error) => {
      if (current() && opened) {
        this.#dispatch('error', {
          code: tunnelErrorCodes.socketError,
          message: 'WebSocket 错误',
          detail: error,
        });
      }
      drop(error);
    });
  }

  #opened(resumed: boolean): void {
    const first = !this.#everOpened;
    this.#everOpened = true;
    this.#resumable = this.#options.recover;
    this.#failedResumes = 0;
    this.#tries = 0;
    if (resumed) this.stats.resumes += 1;
    this.#setState('active');
    if (first) this.#dispatch('connect', undefined);
    else this.#dispatch('reconnect', { resumed });
    const queued = this.#queue;
    this.#queue = [];
    for (const frame of queued) this.#send(frame);
    this.#nextPing();
  }

  /** A connection that never became active failed: Wafer ends the tunnel with an error. */
  #failed(code: number, message: string, detail: unknown): void {
    if (this.#everOpened) {
      this.#scheduleReconnect(detail);
      return;
    }
    this.close();
    this.#dispatch('error', { code, message, detail });
  }

  #dropped(detail: unknown): void {
    this.#stopTimers();
    // A draining node asks for a reconnect at once (the load balancer picks another node). Any
    // other close — a slow consumer (4008, SLOW_CONSUMER_CLOSE_CODE), a heartbeat timeout — waits.
    const draining = (detail as { code?: unknown } | null)?.code === DRAIN_CLOSE_CODE;
    this.#scheduleReconnect(detail, draining ? 0 : undefined);
  }

  #scheduleReconnect(detail: unknown, delayMs?: number): void {
    if (this.#state === 'closed') return;
    this.#stopTimers();
    if (this.#state !== 'reconnecting') {
      this.#setState('reconnecting');
      this.#dispatch('reconnecting', undefined);
    }
    if (this.#hidden || !this.#online) return; // resumed by onAppShow / onNetworkChange
    if (this.#tries >= this.#options.maxReconnectTries) {
      this.close();
      this.#dispatch('error', { code: tunnelErrorCodes.reconnect, message: '重连失败', detail });
      return;
    }
    this.#tries += 1;
    const wait =
      delayMs ?? backoffDelay(this.#tries, this.#options.reconnectDelayMs, this.#options.maxReconnectDelayMs);
    this.#reconnectTimer = this.#client.platform.setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#connect();
    }, wait);
  }

  /** Reconnects now when waiting on a hidden app or the network (not while already trying). */
  #reconnectNow(): void {
    if (this.#state !== 'reconnecting' || this.#socket || this.#reconnectTimer !== undefined) return;
    this.#attempt += 1; // a service request in flight is superseded
    void this.#connect();
  }

  // ---- frames -------------------------------------------------------------------------------

  #enqueue(frame: string): void {
    if (this.#ended) throw new TunnelError(clientErrorTypes.tunnelClosed, 'the tunnel was closed');
    if (this.#state === 'active' && this.#socket) {
      this.#send(frame);
      return;
    }
    if (this.#queue.length >= this.#options.maxQueued) {
      throw new TunnelError(
        clientErrorTypes.queueFull,
        `${this.#options.maxQueued} messages are waiting already`,
      );
    }
    this.#queue.push(frame);
  }

  #send(frame: string): void {
    try {
      this.#socket?.send(frame);
    } catch (error) {
      this.#dispatch('error', {
        code: tunnelErrorCodes.socketError,
        message: 'WebSocket 发送失败',
        detail: error,
      });
    }
  }

  /** Reads one frame. Bad frames are counted and dropped; nothing here throws into the app. */
  #onFrame(data: string | ArrayBuffer): void {
    if (typeof data !== 'string') {
      this.stats.badFrames += 1;
      return;
    }
    const colon = data.indexOf(':');
    const type = colon < 0 ? data : data.slice(0, colon);
    const content = colon < 0 ? '' : data.slice(colon + 1);
    switch (type) {
      case 'message':
        this.#offset += 1; // counted even when unreadable: the server counts what it sent
        this.#onMessage(content);
        break;
      case 'pong':
        this.#nextPing();
        break;
      case 'timeout': {
        const seconds = Number(content);
        if (Number.isFinite(seconds) && seconds > 0) {
          this.#heartbeatMs = seconds * 1000;
          this.#ping();
        } else this.stats.badFrames += 1;
        break;
      }
      case 'close':
        this.close();
        break;
      case 'ack':
      case 'nack':
        this.#onAck(type, content);
        break;
      case 'resume':
        // Hutong: the secret for resuming this tunnel after a drop (each socket is sent it again).
        if (content) this.#resumeSecret = content;
        else this.stats.badFrames += 1;
        break;
      default:
        this.stats.badFrames += 1;
    }
  }

  #onMessage(content: string): void {
    let message: unknown;
    try {
      message = JSON.parse(content);
    } catch {
      this.stats.badFrames += 1;
      return;
    }
    if (
      message === null ||
      typeof message !== 'object' ||
      typeof (message as { type?: unknown }).type !== 'string'
    ) {
      this.stats.badFrames += 1;
      return;
    }
    this.stats.received += 1;
    const { type, content: payload } = message as { type: string; content?: unknown };
    this.#dispatch(escaped(type), payload);
  }

  #onAck(kind: 'ack' | 'nack', content: string): void {
    const colon = content.indexOf(':');
    const id = Number(colon < 0 ? content : content.slice(0, colon));
    const ack = this.#acks.get(id);
    if (!ack) {
      this.stats.badFrames += 1;
      return;
    }
    this.#acks.delete(id);
    this.#client.platform.clearTimeout(ack.timer);
    if (kind === 'ack') ack.resolve();
    else {
      const code = colon < 0 ? 'ERR_REFUSED' : content.slice(colon + 1);
      ack.reject(
        new TunnelError(clientErrorTypes.ackRefused, `the server refused the message (${code})`, code),
      );
    }
  }

  // ---- heartbeat (docs/protocols/tunnel.md#heartbeat: ping at once on timeout:N, then N s after each pong) --------

  #nextPing(): void {
    this.#clearHeartbeat();
    if (this.#hidden) return;
    this.#pingTimer = this.#client.platform.setTimeout(() => this.#ping(), this.#heartbeatMs);
  }

  #ping(): void {
    this.#clearHeartbeat();
    if (this.#state !== 'active' || !this.#socket || this.#hidden) return;
    this.#send('ping');
    this.#pongTimer = this.#client.platform.setTimeout(() => {
      const socket = this.#socket;
      this.#socket = undefined;
      socket?.close(4000, 'no pong');
      this.#dropped('服务器已失去响应');
    }, this.#heartbeatMs);
  }

  #clearHeartbeat(): void {
    const { platform } = this.#client;
    platform.clearTimeout(this.#pingTimer);
    platform.clearTimeout(this.#pongTimer);
    this.#pingTimer = undefined;
    this.#pongTimer = undefined;
  }

  #stopTimers(): void {
    this.#clearHeartbeat();
    this.#client.platform.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
  }

  // ---- app lifecycle and network ------------------------------------------------------------

  #listenToHost(): void {
    const { platform } = this.#client;
    const subscriptions = [
      platform.onAppHide?.(() => {
        // The host suspends the JS thread soon: stop the heartbeat rather than misread silence.
        this.#hidden = true;
        this.#clearHeartbeat();
      }),
      platform.onAppShow?.(() => {
        this.#hidden = false;
        if (this.#state === 'active')
          this.#ping(); // a quick liveness check
        else this.#reconnectNow();
      }),
      platform.onNetworkChange?.((online) => {
        this.#online = online;
        if (!online) return;
        this.#tries = 0;
        if (this.#state === 'active') this.#ping();
        else {
          if (this.#reconnectTimer !== undefined) this.#stopTimers();
          this.#reconnectNow();
        }
      }),
    ];
    this.#unsubscribe = subscriptions.filter((off): off is () => void => typeof off === 'function');
  }

  // ---- events -------------------------------------------------------------------------------

  #setState(to: TunnelState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#dispatch('state', { from, to });
  }

  #dispatch(event: string, payload: unknown): void {
    const call = (fn: () => void) => {
      try {
        fn();
      } catch (error) {
        void Promise.reject(error); // the app's error surfaces as an unhandled rejection
      }
    };
    for (const handler of [...(this.#handlers.get(event) ?? [])]) call(() => handler(payload));
    for (const handler of [...this.#any]) call(() => handler(event, payload));
  }
}

/** The connect URL in a tunnel-service answer: Wafer 1 `{url}`, Wafer 2 `{code: 0, data: {connectUrl}}`, Hutong `{connectUrl}`. */
export function connectUrlOf(data: unknown): string | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const body = data as { url?: unknown; connectUrl?: unknown; data?: { connectUrl?: unknown } | null };
  const url = body.data?.connectUrl ?? body.connectUrl ?? body.url;
  return typeof url === 'string' && /^wss?:\/\//i.test(url) ? url : undefined;
}

function withParam(url: string, name: string, value: string): string {
  const pattern = new RegExp(`([?&])${name}=[^&#]*`);
  if (pattern.test(url)) return url.replace(pattern, `$1${name}=${encodeURIComponent(value)}`);
  return `${url}${url.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`;
}
