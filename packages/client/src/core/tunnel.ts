import { type CloseAdvice, closeAdvice, closeCodes } from '@hutong/protocol/close-codes';
import {
  decodeAck,
  decodeMessage,
  encodeEmit,
  encodeFrame,
  encodeMessage,
  parseFrame,
} from '@hutong/protocol/tunnel-frames';
import type { HutongClient } from './client.js';
import { Emitter } from './emitter.js';
import { clientErrorTypes, TunnelError } from './errors.js';
import type { PlatformSocket } from './platform.js';
import { ReconnectingLink } from './reconnecting-link.js';
import { PendingAcks } from './tunnel-acks.js';
import { connectUrlOf, withParam } from './tunnel-url.js';

export { connectUrlOf };

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
 * reconnects on a ReconnectingLink (backoff with jitter, at once after a draining node's close,
 * paused while the app is hidden or offline), heartbeat per the server's `timeout:N`, and message
 * recovery against Hutong. Frames are `@hutong/protocol/tunnel-frames`, as the server reads them.
 *
 * States: closed → connecting → active ⇄ reconnecting → closed. A first connection that fails
 * ends in closed with error 1001/1002 (as Wafer); a drop of an active tunnel reconnects.
 */
// biome-ignore lint/suspicious/noExplicitAny: message types are the server's
export class Tunnel extends Emitter<Record<string, any>> {
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
  readonly #link: ReconnectingLink;
  readonly #acks: PendingAcks;
  #state: TunnelState = 'closed';
  #socket: PlatformSocket | undefined;
  #everOpened = false;
  /** Closed by `close()` (or for good): `emit` refuses from now on. */
  #ended = false;
  /** `message` frames received on the current server-side tunnel (the recovery offset). */
  #offset = 0;
  #resumable = false;
  /** The secret the server gave this socket (`resume:<secret>`); a resume presents it. */
  #resumeSecret: string | undefined;
  /** Resume attempts in a row whose socket failed before it opened. */
  #failedResumes = 0;
  #heartbeatMs = 15_000;
  #pingTimer: unknown;
  #pongTimer: unknown;
  #queue: string[] = [];

  constructor(client: HutongClient, serviceUrl: string, options: TunnelOptions = {}) {
    super();
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
    this.#acks = new PendingAcks(client.platform);
    this.#link = new ReconnectingLink(
      client.platform,
      {
        reconnectDelayMs: this.#options.reconnectDelayMs,
        maxReconnectDelayMs: this.#options.maxReconnectDelayMs,
        maxTries: this.#options.maxReconnectTries,
      },
      {
        connect: (attempt) => void this.#connect(attempt),
        // The host suspends the JS thread soon: stop the heartbeat rather than misread silence.
        pause: () => this.#clearHeartbeat(),
        check: () => this.#ping(),
      },
    );
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
  override on<K extends keyof TunnelEvents>(
    event: K,
    handler: (payload: TunnelEvents[K]) => void,
  ): () => void;
  override on(event: '*', handler: AnyHandler): () => void;
  override on(event: string, handler: Handler): () => void;
  override on(event: string, handler: Handler | AnyHandler): () => void {
    if (event === '*') return this.onAny(handler as AnyHandler);
    return super.on(event, handler as Handler);
  }

  override off(event: string, handler: Handler | AnyHandler): void {
    if (event === '*') this.offAny(handler as AnyHandler);
    else super.off(event, handler as Handler);
  }

  /** Connects. A second call while connecting or connected does nothing. */
  open(): void {
    if (this.#state !== 'closed') return;
    this.#ended = false;
    this.#everOpened = false;
    this.#resumable = false;
    this.#resumeSecret = undefined;
    this.#setState('connecting');
    this.#link.start();
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
    const message = encodeMessage(type, content);
    if (!options?.ack) {
      this.#enqueue(encodeFrame('message', message));
      return;
    }
    if (this.#ended) return Promise.reject(closedError());
    const { id, settled } = this.#acks.add(options.timeoutMs ?? this.#options.ackTimeoutMs);
    try {
      this.#enqueue(encodeEmit(id, message));
    } catch (error) {
      this.#acks.forget(id);
      return Promise.reject(error);
    }
    return settled;
  }

  /** Closes the tunnel for good (an orderly `close` to the server). Idempotent. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#link.stop();
    this.#clearHeartbeat();
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) {
      if (this.#state === 'active') socket.send(encodeFrame('close'));
      socket.close(closeCodes.normal, 'closed by client');
    }
    this.#ended = true;
    this.#queue = [];
    this.#acks.rejectAll(closedError());
    this.#setState('closed');
    this.dispatch('close', undefined);
  }

  // ---- connection ---------------------------------------------------------------------------

  async #connect(attempt: number): Promise<void> {
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
    if (!this.#link.current(attempt)) return; // closed or superseded meanwhile
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
    const current = () => this.#link.current(attempt) && this.#socket === socket;
    socket.onOpen(() => {
      if (!current()) return;
      opened = true;
      this.#opened(attempt, resuming);
    });
    socket.onMessage((data) => {
      if (current()) this.#onFrame(data);
    });
    const drop = (detail: unknown, code?: number) => {
      if (gone || !current()) return;
      gone = true;
      this.#socket = undefined;
      if (opened) this.#dropped(detail, code);
      else if (resuming) {
        // A refused resume (404/410: the server no longer keeps this tunnel) and a network failure
        // during the handshake look the same (1006): resume once more, then start a new tunnel.
        this.#failedResumes += 1;
        if (this.#failedResumes < 2) this.#reconnect(detail);
        else {
          this.#resumable = false;
          this.#reconnect(detail, 'reconnect-now');
        }
      } else this.#failed(tunnelErrorCodes.connectSocket, 'WebSocket 连接失败', detail);
    };
    socket.onClose((code, reason) => drop({ code, reason }, code));
    socket.onError((error) => {
      if (current() && opened) {
        this.dispatch('error', {
          code: tunnelErrorCodes.socketError,
          message: 'WebSocket 错误',
          detail: error,
        });
      }
      drop(error);
    });
  }

  #opened(attempt: number, resumed: boolean): void {
    const first = !this.#everOpened;
    this.#everOpened = true;
    this.#resumable = this.#options.recover;
    this.#failedResumes = 0;
    this.#link.succeeded(attempt);
    if (resumed) this.stats.resumes += 1;
    this.#setState('active');
    if (first) this.dispatch('connect', undefined);
    else this.dispatch('reconnect', { resumed });
    const queued = this.#queue;
    this.#queue = [];
    for (const frame of queued) this.#send(frame);
    this.#nextPing();
  }

  /** A connection that never became active failed: Wafer ends the tunnel with an error. */
  #failed(code: number, message: string, detail: unknown): void {
    if (this.#everOpened) {
      this.#reconnect(detail);
      return;
    }
    this.close();
    this.dispatch('error', { code, message, detail });
  }

  /** The open socket went away: reconnect as its close code advises (`@hutong/protocol/close-codes`). */
  #dropped(detail: unknown, code?: number): void {
    this.#clearHeartbeat();
    const advice = code === undefined ? 'reconnect' : closeAdvice(code);
    if (advice === 'stop') {
      this.close();
      this.dispatch('error', { code: tunnelErrorCodes.reconnect, message: '服务器不再接受这个信道', detail });
      return;
    }
    this.#reconnect(detail, advice);
  }

  #reconnect(detail: unknown, advice: Exclude<CloseAdvice, 'stop'> = 'reconnect'): void {
    if (this.#state === 'closed') return;
    this.#clearHeartbeat();
    if (this.#state !== 'reconnecting') {
      this.#setState('reconnecting');
      this.dispatch('reconnecting', undefined);
    }
    if (this.#link.retry(advice) === 'gave-up') {
      this.close();
      this.dispatch('error', { code: tunnelErrorCodes.reconnect, message: '重连失败', detail });
    }
  }

  // ---- frames -------------------------------------------------------------------------------

  #enqueue(frame: string): void {
    if (this.#ended) throw closedError();
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
      this.dispatch('error', {
        code: tunnelErrorCodes.socketError,
        message: 'WebSocket 发送失败',
        detail: error,
      });
    }
  }

  /** Reads one frame. Bad frames are counted and dropped; nothing here throws into the app. */
  #onFrame(data: string | ArrayBuffer): void {
    const frame = typeof data === 'string' ? parseFrame(data) : undefined;
    if (!frame) {
      this.stats.badFrames += 1;
      return;
    }
    const content = frame.content ?? '';
    switch (frame.type) {
      case 'message': {
        this.#offset += 1; // counted even when unreadable: the server counts what it sent
        const message = decodeMessage(content);
        if (!message) {
          this.stats.badFrames += 1;
          return;
        }
        this.stats.received += 1;
        this.dispatch(escaped(message.type), message.content);
        break;
      }
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
      case 'nack': {
        const answer = decodeAck(frame.type, content);
        if (!answer || !this.#acks.settle(answer.id, answer.errorCode)) this.stats.badFrames += 1;
        break;
      }
      case 'resume':
        // Hutong: the secret for resuming this tunnel after a drop (each socket is sent it again).
        if (content) this.#resumeSecret = content;
        else this.stats.badFrames += 1;
        break;
      default:
        this.stats.badFrames += 1; // a frame only clients send (ping, emit)
    }
  }

  // ---- heartbeat (docs/protocols/tunnel.md#heartbeat: ping at once on timeout:N, then N s after each pong) --------

  #nextPing(): void {
    this.#clearHeartbeat();
    if (this.#link.hidden) return;
    this.#pingTimer = this.#client.platform.setTimeout(() => this.#ping(), this.#heartbeatMs);
  }

  #ping(): void {
    this.#clearHeartbeat();
    if (this.#state !== 'active' || !this.#socket || this.#link.hidden) return;
    this.#send(encodeFrame('ping'));
    this.#pongTimer = this.#client.platform.setTimeout(() => {
      const socket = this.#socket;
      this.#socket = undefined;
      socket?.close(closeCodes.noPong, 'no pong');
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

  // ---- events -------------------------------------------------------------------------------

  #setState(to: TunnelState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.dispatch('state', { from, to });
  }
}

const closedError = () => new TunnelError(clientErrorTypes.tunnelClosed, 'the tunnel was closed');
