import { HutongError } from './errors.js';
import { err, ok, type Result } from './result.js';

/**
 * The Wafer tunnel wire (docs/protocols/tunnel.md#tunnel-protocol). Frames are text, `type` or `type:content`, split at the
 * first ':'. Client → server: `ping`, `message:{"type","content"}`, `close`. Server → client:
 * `pong`, `message:…`, `timeout:N` (heartbeat seconds), `close`.
 *
 * Hutong's extension, used only by clients that ask for it: `emit:<id>:{"type","content"}` is a
 * message the client wants acknowledged; the server answers `ack:<id>` once the business side took
 * it, or `nack:<id>:<error code>`. The official clients never send `emit` and ignore unknown packets.
 * Server → client on a recoverable tunnel only (`recover=1`): `resume:<secret>`, the secret a resume
 * must present (`&resume=<secret>`); each socket gets its own, right after `timeout:N`.
 */
export const framePackets = [
  'ping',
  'pong',
  'message',
  'timeout',
  'close',
  'emit',
  'ack',
  'nack',
  'resume',
] as const;
export type FramePacket = (typeof framePackets)[number];

export interface Frame {
  type: FramePacket;
  /** The text after the first ':', verbatim (absent for bare `ping`, `pong`, `close`). */
  content?: string;
}

export function encodeFrame(type: FramePacket, content?: string): string {
  return content === undefined ? type : `${type}:${content}`;
}

/** Decodes a text frame; unknown packet types and malformed messages are typed errors. */
export function decodeFrame(text: string): Result<Frame> {
  const colon = text.indexOf(':');
  const type = colon < 0 ? text : text.slice(0, colon);
  if (!(framePackets as readonly string[]).includes(type)) {
    return err(new HutongError('ERR_TUNNEL_FRAME', `Unknown packet type "${type.slice(0, 32)}"`));
  }
  if (colon < 0) return ok({ type: type as FramePacket });
  return ok({ type: type as FramePacket, content: text.slice(colon + 1) });
}

export function encodeMessage(type: string, content: unknown): string {
  return JSON.stringify({ type, content });
}

/** A `message` packet's content: `{type, content}` as JSON. */
export interface TunnelMessage {
  type: string;
  content?: unknown;
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
