import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => void;

/**
 * Routes HTTP upgrade requests by path to the WebSocket endpoints (`/tunnel/ws`, later `/im`).
 * Anything else is answered 404 and closed, so no socket is left hanging.
 */
export class UpgradeRouter {
  readonly #routes = new Map<string, UpgradeHandler>();

  register(path: string, handler: UpgradeHandler): void {
    this.#routes.set(path, handler);
  }

  handle = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://upgrade.invalid');
    } catch {
      rejectUpgrade(socket, 400, 'Bad Request');
      return;
    }
    const handler = this.#routes.get(url.pathname);
    if (handler) handler(req, socket, head, url);
    else rejectUpgrade(socket, 404, 'Not Found');
  };
}

/** Answers an upgrade request with a plain HTTP error and closes the connection. */
export function rejectUpgrade(socket: Duplex, status: number, reason: string, body = ''): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
