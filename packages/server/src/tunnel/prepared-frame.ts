import type { WebSocket } from 'ws';

/**
 * A text message framed once — header and payload in one buffer, unmasked as a server sends it —
 * so a broadcast writes the same bytes to every socket instead of framing per socket.
 */
export interface PreparedFrame {
  /** The message itself (the recovery log keeps it; a resume re-sends it). */
  readonly payload: Buffer;
  /** The complete WebSocket frame. */
  readonly bytes: Buffer;
}

export function prepareTextFrame(text: string): PreparedFrame {
  // RFC 6455 §5.2: FIN + opcode 1 (text), no mask, 7-bit / 16-bit / 64-bit payload length. The text
  // is encoded straight into the frame; the payload is a view of it, not a copy.
  const length = Buffer.byteLength(text);
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const bytes = Buffer.allocUnsafe(headerLength + length);
  bytes[0] = 0x81;
  if (length < 126) bytes[1] = length;
  else if (length < 65_536) {
    bytes[1] = 126;
    bytes.writeUInt16BE(length, 2);
  } else {
    bytes[1] = 127;
    bytes.writeBigUInt64BE(BigInt(length), 2);
  }
  bytes.write(text, headerLength, 'utf8');
  return { payload: bytes.subarray(headerLength), bytes };
}

type SenderLike = { sendFrame?: (list: Buffer[]) => void };

/**
 * Writes a prepared frame through the socket's sender, as engine.io does for its pre-encoded
 * frames. The sender queues only while compressing, and tunnels never negotiate compression, so
 * the frame takes its place in order with everything else sent on the socket. Falls back to
 * `send` if a `ws` release ever stops exposing the sender.
 */
export function sendPrepared(ws: WebSocket, frame: PreparedFrame): void {
  const sender = (ws as unknown as { _sender?: SenderLike })._sender;
  if (typeof sender?.sendFrame === 'function') sender.sendFrame([frame.bytes]);
  else ws.send(frame.payload, { binary: false });
}
