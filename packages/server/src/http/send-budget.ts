import { WebSocket } from 'ws';
import { type PreparedFrame, sendPrepared } from '../tunnel/prepared-frame.js';

/** A WebSocket frame's header is at most 14 bytes: counted with a text payload against the budget. */
const FRAME_HEADER_BYTES = 14;

/**
 * Writes frames within a byte budget per socket, for the tunnel and IM hubs alike: a socket whose
 * queued bytes (`bufferedAmount`: written, not yet taken by the kernel) plus the frame would pass
 * `maxBytes` is not written to, and `overflow` closes it as a slow consumer. So the node never
 * holds more than `maxBytes` for a client that stops reading, logged in or not.
 */
export class SendBudget {
  /** The most bytes any socket had queued after a write (metrics, tests). */
  peakBuffered = 0;

  constructor(
    readonly maxBytes: number,
    private readonly overflow: (ws: WebSocket) => void,
  ) {}

  /** Writes `frame`; false (nothing written) when the socket is not open or was over its budget. */
  send(ws: WebSocket, frame: string | PreparedFrame): boolean {
    if (ws.readyState !== WebSocket.OPEN) return false;
    const size =
      typeof frame === 'string' ? Buffer.byteLength(frame) + FRAME_HEADER_BYTES : frame.bytes.length;
    if (ws.bufferedAmount + size > this.maxBytes) {
      this.overflow(ws);
      return false;
    }
    if (typeof frame === 'string') ws.send(frame);
    else sendPrepared(ws, frame);
    if (ws.bufferedAmount > this.peakBuffered) this.peakBuffered = ws.bufferedAmount;
    return true;
  }
}
