/**
 * The Wafer tunnel frames (docs/protocols/tunnel.md#tunnel-protocol), one codec for the server and
 * the clients, without dependencies (the clients bundle this file; `decodeFrame` in
 * ./tunnel-codec.ts adds the typed error). Frames are text, `type` or `type:content`, split at the
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

/** Splits a text frame at its first ':'; undefined for an unknown packet type. */
export function parseFrame(text: string): Frame | undefined {
  const colon = text.indexOf(':');
  const type = colon < 0 ? text : text.slice(0, colon);
  if (!(framePackets as readonly string[]).includes(type)) return undefined;
  if (colon < 0) return { type: type as FramePacket };
  return { type: type as FramePacket, content: text.slice(colon + 1) };
}

/** A `message` packet's content: `{type, content}` as JSON. */
export interface TunnelMessage {
  type: string;
  content?: unknown;
}

export function encodeMessage(type: string, content: unknown): string {
  return JSON.stringify({ type, content });
}

/**
 * A `message` packet's content as the clients read it: JSON with a string `type`; undefined for
 * anything else (the clients count it as a bad frame and go on).
 */
export function decodeMessage(content: string): TunnelMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || typeof (value as TunnelMessage).type !== 'string') {
    return undefined;
  }
  return value as TunnelMessage;
}

/** An `emit` packet's id: 1 to 15 digits (a safe integer). */
const EMIT_ID = /^\d{1,15}$/;

/** `emit:<id>:<message>`: a message the sender wants acknowledged. */
export function encodeEmit(id: number, message: string): string {
  return `emit:${id}:${message}`;
}

/** An `emit` packet's content split into its id and message; undefined when the id is malformed. */
export function decodeEmit(content: string): { id: number; message: string } | undefined {
  const colon = content.indexOf(':');
  const id = content.slice(0, colon);
  if (colon < 0 || !EMIT_ID.test(id)) return undefined;
  return { id: Number(id), message: content.slice(colon + 1) };
}

/** The server's answer to an `emit`: `ack:<id>`, or `nack:<id>:<error code>` when it was refused. */
export function encodeAck(id: number, errorCode?: string): string {
  return errorCode === undefined ? `ack:${id}` : `nack:${id}:${errorCode}`;
}

/**
 * An `ack` or `nack` packet's content: the id and, for a nack, the error code (`ERR_REFUSED` when
 * the server gave none); undefined when the id is malformed.
 */
export function decodeAck(
  type: 'ack' | 'nack',
  content: string,
): { id: number; errorCode?: string } | undefined {
  const colon = content.indexOf(':');
  const id = colon < 0 ? content : content.slice(0, colon);
  if (!EMIT_ID.test(id)) return undefined;
  if (type === 'ack') return { id: Number(id) };
  return {
    id: Number(id),
    errorCode: colon < 0 || colon === content.length - 1 ? 'ERR_REFUSED' : content.slice(colon + 1),
  };
}
