import { type Static, Type } from '@sinclair/typebox';

export * from './tunnel-codec.js';

/** A `message` packet's content: `{type, content}` as JSON. */
export const TunnelMessage = Type.Object(
  { type: Type.String({ minLength: 1, maxLength: 128 }), content: Type.Optional(Type.Unknown()) },
  { title: 'tunnel message', additionalProperties: true },
);
export type TunnelMessage = Static<typeof TunnelMessage>;

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
