import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { callApi, later, type WxCallbacks, WxFailure, type WxResult } from './wx-callbacks.js';

/** WeChat allows 5 sockets at once since base library 1.7.0 (research B2). */
export const MAX_SOCKETS = 5;

export interface SocketOpenResult {
  header: Record<string, string>;
  profile: Record<string, never>;
}
export interface SocketMessageResult {
  data: string | ArrayBuffer;
}
export interface SocketCloseResult {
  code: number;
  reason: string;
}

export interface SocketListeners {
  open: (result: SocketOpenResult) => void;
  message: (result: SocketMessageResult) => void;
  close: (result: SocketCloseResult) => void;
  error: (result: WxResult) => void;
}
type Event = keyof SocketListeners;

export interface ConnectSocketOptions extends WxCallbacks {
  url: string;
  header?: Record<string, unknown>;
  protocols?: string[];
  /** Handshake timeout in ms (default 60 s). */
  timeout?: number;
}

export interface SocketTask {
  send(options: { data: string | ArrayBuffer } & WxCallbacks): Promise<WxResult>;
  close(options?: { code?: number; reason?: string } & WxCallbacks): Promise<WxResult>;
  onOpen(listener: SocketListeners['open']): void;
  onMessage(listener: SocketListeners['message']): void;
  onClose(listener: SocketListeners['close']): void;
  onError(listener: SocketListeners['error']): void;
}

const toArrayBuffer = (data: WebSocket.RawData): ArrayBuffer => {
  if (data instanceof ArrayBuffer) return data;
  const bytes = Array.isArray(data) ? Buffer.concat(data) : data;
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
};
const toText = (data: WebSocket.RawData): string =>
  Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.from(data as ArrayBuffer).toString('utf8');

/**
 * The sockets of one `wx`: the SocketTasks, plus the legacy global API (`wx.onSocket*`,
 * `sendSocketMessage`, `closeSocket`), which follows the latest socket only. Events of a socket
 * that a newer `connectSocket` superseded never reach the global listeners, so a Wafer client
 * that reconnects never sees the old socket's late `close`. Global listeners accumulate (the
 * Wafer SDKs register theirs once, when their module loads).
 */
export class SocketHub {
  readonly global: { [E in Event]: Set<SocketListeners[E]> } = {
    open: new Set(),
    message: new Set(),
    close: new Set(),
    error: new Set(),
  };
  readonly live = new Set<WebSocket>();
  latest: SimSocketTask | undefined;
  /** The simulated network; while false, new sockets fail. */
  online = true;

  connect(options: ConnectSocketOptions): SocketTask {
    const task = new SimSocketTask(this, options);
    this.latest = task;
    return task;
  }

  /** The app in the background: sockets read nothing (no events, no automatic pongs) until resumed. */
  suspend(suspended: boolean): void {
    for (const ws of this.live) {
      if (suspended) ws.pause();
      else ws.resume();
    }
  }

  /** Ends every socket at once (test clean-up). */
  terminateAll(): void {
    for (const ws of this.live) ws.terminate();
  }
}

class SimSocketTask implements SocketTask {
  readonly #hub: SocketHub;
  readonly #listeners: { [E in Event]: Array<SocketListeners[E]> } = {
    open: [],
    message: [],
    close: [],
    error: [],
  };
  readonly #ws: WebSocket | undefined;
  #header: Record<string, string> = {};
  /** Closed before the handshake finished: ws then reports an error WeChat does not. */
  #abandoned = false;

  constructor(hub: SocketHub, options: ConnectSocketOptions) {
    this.#hub = hub;
    let ws: WebSocket | undefined;
    let failure: unknown;
    if (!hub.online) failure = new WxFailure('network unavailable');
    else if (hub.live.size >= MAX_SOCKETS) failure = new WxFailure('exceed max task count');
    else {
      try {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(options.header ?? {})) {
          if (value !== undefined && value !== null) headers[name] = String(value);
        }
        ws = new WebSocket(options.url, options.protocols ?? [], {
          headers,
          handshakeTimeout: options.timeout ?? 60_000,
        });
      } catch (error) {
        failure = error;
      }
    }
    this.#ws = ws;
    if (ws) this.#wire(ws);
    else
      later(() =>
        this.#emit('error', { errMsg: `connectSocket:fail ${String((failure as Error).message)}` }),
      );
    void callApi('connectSocket', options, async () => {
      if (!ws) throw failure;
      return {};
    });
  }

  #wire(ws: WebSocket): void {
    this.#hub.live.add(ws);
    ws.on('upgrade', (response: IncomingMessage) => {
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) this.#header[name] = Array.isArray(value) ? value.join(', ') : value;
      }
    });
    ws.on('open', () => this.#emit('open', { header: this.#header, profile: {} }));
    ws.on('message', (data, isBinary) =>
      this.#emit('message', { data: isBinary ? toArrayBuffer(data) : toText(data) }),
    );
    ws.on('error', (error) => {
      if (!this.#abandoned) this.#emit('error', { errMsg: error.message });
    });
    ws.on('close', (code, reason) => {
      this.#hub.live.delete(ws);
      this.#emit('close', { code, reason: reason.toString('utf8') });
    });
  }

  #emit<E extends Event>(event: E, result: Parameters<SocketListeners[E]>[0]): void {
    for (const listener of this.#listeners[event]) (listener as (r: typeof result) => void)(result);
    if (this.#hub.latest !== this) return;
    for (const listener of this.#hub.global[event]) (listener as (r: typeof result) => void)(result);
  }

  /** For `send` and the legacy `sendSocketMessage`. */
  sendNow(data: unknown): Promise<void> {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN)
      return Promise.reject(new WxFailure('WebSocket is not connected'));
    if (typeof data !== 'string' && !(data instanceof ArrayBuffer)) {
      return Promise.reject(new WxFailure('parameter.data should be String or ArrayBuffer'));
    }
    const payload = typeof data === 'string' ? data : Buffer.from(data);
    return new Promise((resolve, reject) => ws.send(payload, (error) => (error ? reject(error) : resolve())));
  }

  /** For `close` and the legacy `closeSocket`: code 1000 by default, as WeChat. */
  closeNow(code = 1000, reason = ''): Promise<void> {
    const ws = this.#ws;
    if (!ws) return Promise.resolve();
    if (ws.readyState === WebSocket.CONNECTING) this.#abandoned = true;
    ws.close(code, reason);
    return Promise.resolve();
  }

  send(options: { data: string | ArrayBuffer } & WxCallbacks): Promise<WxResult> {
    return callApi('send', options, async () => {
      await this.sendNow(options.data);
      return {};
    });
  }

  close(options: { code?: number; reason?: string } & WxCallbacks = {}): Promise<WxResult> {
    return callApi('close', options, async () => {
      await this.closeNow(options.code, options.reason);
      return {};
    });
  }

  onOpen(listener: SocketListeners['open']): void {
    this.#listeners.open.push(listener);
  }
  onMessage(listener: SocketListeners['message']): void {
    this.#listeners.message.push(listener);
  }
  onClose(listener: SocketListeners['close']): void {
    this.#listeners.close.push(listener);
  }
  onError(listener: SocketListeners['error']): void {
    this.#listeners.error.push(listener);
  }
}

export type { SimSocketTask };
