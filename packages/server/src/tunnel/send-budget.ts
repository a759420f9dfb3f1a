import { WebSocket } from 'ws';
import { type PreparedFrame, sendPrepared } from './prepared-frame.js';

/**
 * Every frame the hub writes to a tunnel socket goes through its send budget: pushes and
 * broadcasts (one prepared frame for every socket), a resume's replay, `timeout`, `resume`, `pong`,
 * `ack`/`nack`. A socket whose send buffer (`bufferedAmount`: written, not yet taken by the kernel)
 * is over `maxBufferedBytes` gets nothing more; `onOver` closes it as a slow consumer
 * (`tunnelCloseCodes.slowConsumer`), so one client that stops reading cannot make the node buffer
 * without bound. The buffer can pass the limit by at most the one frame written while under it.
 */
export class SendBudget {
  constructor(
    readonly maxBufferedBytes: number,
    private readonly onOver: (ws: WebSocket) => void,
  ) {}

  /** Writes `frame`; false (nothing written) when the socket is not open or over its budget. */
  send(ws: WebSocket, frame: string | PreparedFrame): boolean {
    if (ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount > this.maxBufferedBytes) {
      this.onOver(ws);
      return false;
    }
    if (typeof frame === 'string') ws.send(frame);
    else sendPrepared(ws, frame);
    return true;
  }
}
