import { HutongError } from './errors.js';
import { err, ok, type Result } from './result.js';
import { type Frame, parseFrame } from './tunnel-frames.js';

export * from './close-codes.js';
export * from './tunnel-frames.js';

/** Decodes a text frame; an unknown packet type is ERR_TUNNEL_FRAME. */
export function decodeFrame(text: string): Result<Frame> {
  const frame = parseFrame(text);
  if (frame) return ok(frame);
  const colon = text.indexOf(':');
  const type = colon < 0 ? text : text.slice(0, colon);
  return err(new HutongError('ERR_TUNNEL_FRAME', `Unknown packet type "${type.slice(0, 32)}"`));
}

/** One packet of `POST /tunnel/ws/push` data (`./tunnel.ts` has the schema). */
export interface PushPacket {
  tunnelIds: string[];
  type: 'message' | 'close';
  content?: string | null;
  /** Hutong's extension: also deliver to every member of these rooms. */
  rooms?: string[];
}

/** `POST /tunnel/rooms` data (Hutong's extension, signed like the Wafer calls). */
export type RoomsRequest =
  | { op: 'join' | 'leave'; room: string; tunnelIds: string[] }
  | { op: 'presence'; rooms: string[] };

/** Tunnel server → business server: `{data: JSON.stringify(TunnelEvent), signature}`. */
export interface TunnelEvent {
  tunnelId: string;
  type: 'connect' | 'message' | 'close';
  /** For `message`: the raw text after `message:` in the client's frame. */
  content?: string;
}
