import type { IncomingMessage } from 'node:http';
import type { BlockList } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorRegistry } from '@hutong/protocol';
import { clientAddress } from './client-address.js';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => void;

export interface UpgradeRouterOptions {
  /**
   * Open WebSocket connections (tunnel and IM together) one client address may hold; more are
   * refused with 429 `ERR_RATE_LIMITED`. 0: no limit. Default 1000: mobile carriers put many
   * users behind one address (carrier-grade NAT), so the cap bounds one attacker without refusing
   * a crowd.
   */
  maxPerAddress?: number;
  /** Proxies whose `X-Forwarded-For` names the client (HUTONG_TRUST_PROXY). */
  trustedProxies?: BlockList;
}

/**
 * Routes HTTP upgrade requests by path to the WebSocket endpoints (`/tunnel/ws`, `/im`), counting
 * each client address's open connections against `maxPerAddress`. Anything else is answered 404
 * and closed, so no socket is left hanging.
 */
export class UpgradeRouter {
  readonly #routes = new Map<string, UpgradeHandler>();
  readonly #open = new Map<string, number>();
  readonly #max: number;
  readonly #trusted: BlockList | undefined;
  /** Upgrades refused because their address held `maxPerAddress` connections (metrics). */
  refused = 0;

  constructor(options: UpgradeRouterOptions = {}) {
    this.#max = options.maxPerAddress ?? 1000;
    this.#trusted = options.trustedProxies;
  }

  /** Open connections of `address` (tests, metrics). */
  connectionsOf(address: string): number {
    return this.#open.get(address) ?? 0;
  }

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
    if (!handler) {
      rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (this.#max > 0 && !this.#admit(clientAddress(req, this.#trusted), socket)) {
      this.refused += 1;
      const { message } = errorRegistry.ERR_RATE_LIMITED;
      rejectUpgrade(
        socket,
        429,
        'Too Many Requests',
        JSON.stringify({
          error: { code: 'ERR_RATE_LIMITED', message: `${message}: too many connections from this address` },
        }),
      );
      return;
    }
    handler(req, socket, head, url);
  };

  /** Counts the connection against its address until it closes; false when the address is full. */
  #admit(address: string, socket: Duplex): boolean {
    const open = this.#open.get(address) ?? 0;
    if (open >= this.#max) return false;
    this.#open.set(address, open + 1);
    socket.once('close', () => {
      const left = (this.#open.get(address) ?? 1) - 1;
      if (left > 0) this.#open.set(address, left);
      else this.#open.delete(address);
    });
    return true;
  }
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
