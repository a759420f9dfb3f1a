import type { PlatformSocket } from '../core/platform.js';

/** The WHATWG WebSocket surface (browsers, Node 22, and `ws`). */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** A standard WebSocket as a PlatformSocket. Text arrives as strings; anything else is handed on as binary. */
export function adaptWebSocket(ws: WebSocketLike): PlatformSocket {
  return {
    send: (text) => ws.send(text),
    close: (code, reason) => ws.close(code, reason),
    onOpen: (listener) => {
      ws.onopen = () => listener();
    },
    onMessage: (listener) => {
      ws.onmessage = (event) => listener(typeof event.data === 'string' ? event.data : new ArrayBuffer(0));
    },
    onClose: (listener) => {
      ws.onclose = (event) => listener(event.code, event.reason);
    },
    onError: (listener) => {
      ws.onerror = (event) => listener(event);
    },
  };
}
