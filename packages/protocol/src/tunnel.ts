import { type Static, Type } from '@sinclair/typebox';
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
 */
export const framePackets = ['ping', 'pong', 'message', 'timeout', 'close', 'emit', 'ack', 'nack'] as const;
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

/** A `message` packet's content: `{type, content}` as JSON. */
export const TunnelMessage = Type.Object(
  { type: Type.String({ minLength: 1, maxLength: 128 }), content: Type.Optional(Type.Unknown()) },
  { title: 'tunnel message', additionalProperties: true },
);
export type TunnelMessage = Static<typeof TunnelMessage>;

export function encodeMessage(type: string, content: unknown): string {
  return JSON.stringify({ type, content });
}

/** `POST /tunnel/get/wsurl` and `/tunnel/ws/push` bodies: `data` is a JSON string, signed. */
export const SignedRequest = Type.Object(
  {
    data: Type.String({ maxLength: 1024 * 1024 }),
    signature: Type.String({ maxLength: 128 }),
    tcId: Type.Optional(Type.String({ maxLength: 128 })),
    tcKey: Type.Optional(Type.String({ maxLength: 1024 })),
    /** Java and C# SDKs send `"json"` and need `data` answered as a JSON string. */
    dataEncode: Type.Optional(Type.String({ maxLength: 16 })),
  },
  { title: 'tunnel API request', additionalProperties: true },
);
export type SignedRequest = Static<typeof SignedRequest>;

export const WsUrlData = Type.Object(
  { receiveUrl: Type.String({ minLength: 1, maxLength: 2048 }), protocolType: Type.Optional(Type.String()) },
  { title: 'get/wsurl data', additionalProperties: true },
);
export type WsUrlData = Static<typeof WsUrlData>;

export const PushPacket = Type.Object(
  {
    tunnelIds: Type.Array(Type.String({ maxLength: 128 }), { maxItems: 100_000 }),
    type: Type.Union([Type.Literal('message'), Type.Literal('close')]),
    content: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    /** Hutong's extension: also deliver to every member of these rooms. */
    rooms: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100 })),
  },
  { title: 'push packet', additionalProperties: true },
);
export type PushPacket = Static<typeof PushPacket>;

export const PushData = Type.Array(PushPacket, { title: 'ws/push data', maxItems: 100 });

/** `POST /tunnel/rooms` data (Hutong's extension, signed like the Wafer calls). */
export const RoomsRequest = Type.Union(
  [
    Type.Object(
      {
        op: Type.Union([Type.Literal('join'), Type.Literal('leave')]),
        room: Type.String({ minLength: 1, maxLength: 128 }),
        tunnelIds: Type.Array(Type.String({ maxLength: 128 }), { maxItems: 10_000 }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        op: Type.Literal('presence'),
        rooms: Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 1000 }),
      },
      { additionalProperties: false },
    ),
  ],
  { title: 'rooms request' },
);
export type RoomsRequest = Static<typeof RoomsRequest>;

/** Tunnel server → business server: `{data: JSON.stringify(TunnelEvent), signature}`. */
export interface TunnelEvent {
  tunnelId: string;
  type: 'connect' | 'message' | 'close';
  /** For `message`: the raw text after `message:` in the client's frame. */
  content?: string;
}
