import type { Protocal } from '@hutong/protocol/im';
import { encodeProtocal, IM_SERVER, IM_UNSET, imTypes } from '@hutong/protocol/im';
import type { WebSocket } from 'ws';
import type { SendBudget } from '../http/send-budget.js';

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
  constructor(
    readonly budget: SendBudget,
    private readonly onError?: (code: number, message: string) => void,
  ) {}

  /** A frame as MobileIMSDK's server writes it (ImHub never writes error frames this way). */
  send(ws: WebSocket, frame: Protocal & Record<string, unknown>): void {
    this.budget.send(ws, encodeProtocal(frame));
  }

  /** A frame already encoded (shared by every device it goes to). */
  text(ws: WebSocket, text: string): void {
    this.budget.send(ws, text);
  }

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
