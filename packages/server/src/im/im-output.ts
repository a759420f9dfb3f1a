import type { Duplex } from 'node:stream';
import type { Protocal } from '@hutong/protocol/im';
import { encodeProtocal, IM_SERVER, IM_UNSET, imTypes } from '@hutong/protocol/im';
import type { WebSocket } from 'ws';
import type { SendBudget } from '../http/send-budget.js';
import { prepareTextFrame } from '../tunnel/prepared-frame.js';

/** What an error frame may name besides its code: the message (`fp`), when to try again. */
export interface ErrorFields {
  fp?: string | null;
  /** Backpressure (1504): the sender should wait this long before sending again. */
  retryAfterMs?: number;
}

/**
 * Everything the IM hub writes to a socket goes through here: within the socket's byte budget
 * (SendBudget closes a slow consumer instead of queueing without bound), and every error frame
 * reported to `onError` (metrics) with its MobileIMSDK code.
 */
export class ImOutput {
  /** Sockets corked since the last flush. */
  readonly #corked = new Set<Duplex>();
  #flushing = false;

  constructor(
    readonly budget: SendBudget,
    private readonly onError?: (code: number, message: string) => void,
  ) {}

  /** A frame as MobileIMSDK's server writes it (ImHub never writes error frames this way). */
  send(ws: WebSocket, frame: Protocal & Record<string, unknown>): void {
    this.text(ws, encodeProtocal(frame));
  }

  /**
   * A frame already encoded (shared by every device it goes to). Framed in one buffer, and the
   * socket corked until the end of this turn of the event loop: the frames one socket gets in a
   * turn (under load: ACKs, messages and receipts of a whole group commit) leave in one write.
   */
  text(ws: WebSocket, text: string): void {
    const socket = (ws as unknown as { _socket?: Duplex })._socket;
    if (socket && !this.#corked.has(socket)) {
      socket.cork();
      this.#corked.add(socket);
      if (!this.#flushing) {
        this.#flushing = true;
        setImmediate(this.#flush);
      }
    }
    this.budget.send(ws, prepareTextFrame(text));
  }

  readonly #flush = (): void => {
    this.#flushing = false;
    for (const socket of this.#corked) socket.uncork();
    this.#corked.clear();
  };

  /**
   * Type 52: `{errorCode, errorMsg}` in `dataContent` (plus `retryAfterMs` for 1504); an error
   * about one message names it in the frame's `fp`, so the client knows which was not accepted.
   */
  error(ws: WebSocket, errorCode: number, errorMsg: string, fields: ErrorFields = {}): void {
    this.onError?.(errorCode, errorMsg);
    const { fp, retryAfterMs } = fields;
    const content =
      retryAfterMs === undefined ? { errorCode, errorMsg } : { errorCode, errorMsg, retryAfterMs };
    this.send(ws, {
      type: imTypes.error,
      dataContent: JSON.stringify(content),
      from: IM_SERVER,
      to: IM_UNSET,
      ...(fp === undefined || fp === null ? {} : { fp }),
    });
  }
}
