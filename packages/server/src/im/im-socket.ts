import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  decodeProtocal,
  IM_MAX_FRAME_BYTES,
  imCloseCodes,
  imErrorCodes,
  type Protocal,
} from '@hutong/protocol/im';
import type { Logger } from 'pino';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { ImDevice } from './im-device.js';
import { TokenBucket } from './im-limits.js';
import type { ImOutput } from './im-output.js';
import type { ImStats } from './im-stats.js';

/** How the hub handles a connection's frames. */
export interface FrameRoutes {
  /** The device logged in on this socket, if any. */
  deviceOf(ws: WebSocket): ImDevice | undefined;
  /**
   * A frame handled at once, ahead of the connection's queued frames (ACKs, keep-alives, echoes,
   * read receipts): false when it is not one of those and must wait its turn.
   */
  immediate(ws: WebSocket, frame: Protocal, device: ImDevice | undefined): boolean;
  /**
   * The other frames (login, data, logout, …), one at a time per connection, in arrival order;
   * `waitedMs`: how long the frame waited for its turn.
   */
  ordered(ws: WebSocket, frame: Protocal, text: string, waitedMs: number): Promise<void>;
  /** A frame that found its connection's queue full (`maxQueuedBytes` waiting). */
  overflow(ws: WebSocket, frame: Protocal, device: ImDevice | undefined): void;
  closed(ws: WebSocket): void;
}

export interface SocketLimits {
  preLoginPerSecond: number;
  preLoginBurst: number;
  /** Bytes of frames one connection may have waiting for their turn; more are refused (`overflow`). */
  maxQueuedBytes: number;
}

/**
 * The IM socket server: WebSocket upgrades on `/im`, text frames decoded once, and two lanes per
 * connection. Frames that only read or answer state (an ACK, a keep-alive, an echo, a read receipt)
 * are handled the moment they arrive; the rest queue and run one after another, so a login
 * completes before the data behind it and one sender's messages are stored in the order sent. An
 * ACK so never waits behind its connection's own messages (their store writes), which would hold
 * the sender's receipt and set off the recipient's resends.
 */
export class ImSocketServer {
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: IM_MAX_FRAME_BYTES,
    perMessageDeflate: false,
  });
  /** Every open connection and when it last sent a frame (idle expiry). */
  readonly #seen = new Map<WebSocket, number>();

  constructor(
    private readonly routes: FrameRoutes,
    private readonly limits: SocketLimits,
    private readonly output: ImOutput,
    private readonly stats: ImStats,
    private readonly logger: Logger | undefined,
  ) {}

  handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
  };

  /** Closes the connections that sent nothing since `since` (ms). */
  expireIdle(since: number): void {
    for (const [ws, seen] of this.#seen) if (seen < since) ws.terminate();
  }

  close(code: number, reason: string): void {
    for (const ws of this.#wss.clients) ws.close(code, reason);
    this.#wss.close();
  }

  #accept(ws: WebSocket): void {
    const { routes, stats } = this;
    this.#seen.set(ws, Date.now());
    let tail = Promise.resolve();
    let queuedBytes = 0;
    const early = new TokenBucket(this.limits.preLoginPerSecond, this.limits.preLoginBurst);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (ws.readyState !== WebSocket.OPEN) return; // closing: nothing more is handled
      this.#seen.set(ws, Date.now());
      const device = routes.deviceOf(ws);
      // Before login every frame (login, echo, anything) costs a token: a client that is nobody
      // yet gets a few frames, not a server that queues and answers without bound.
      if (!device && !early.take()) {
        stats.unloggedFloods += 1;
        ws.close(imCloseCodes.unloggedFlood, 'too many frames before login');
        return;
      }
      if (isBinary) {
        stats.badFrames += 1;
        ws.close(1003, 'text frames only');
        return;
      }
      const text = String(data);
      const decoded = decodeProtocal(text);
      if (!decoded.ok) {
        stats.badFrames += 1;
        this.output.error(ws, imErrorCodes.invalidProtocal, decoded.error.message);
        return;
      }
      const frame = decoded.value;
      if (routes.immediate(ws, frame, device)) return;
      const bytes = Buffer.isBuffer(data) ? data.length : Buffer.byteLength(text);
      if (queuedBytes + bytes > this.limits.maxQueuedBytes) {
        routes.overflow(ws, frame, device);
        return;
      }
      queuedBytes += bytes;
      const queuedAt = performance.now();
      // One link per frame (every data frame passes here): handled, its failure logged, its bytes
      // released, in one step.
      tail = tail.then(async () => {
        try {
          await routes.ordered(ws, frame, text, performance.now() - queuedAt);
        } catch (err) {
          this.logger?.error({ err }, 'IM frame handling failed');
        } finally {
          queuedBytes -= bytes;
        }
      });
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      this.#seen.delete(ws);
      routes.closed(ws);
    });
  }
}
