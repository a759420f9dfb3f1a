/**
 * MobileIMSDK's WebSocket wire (docs/protocols/mobileimsdk.md#mobileimsdk-wire) for code that
 * validates with TypeBox: the schemas of the frame and its framework payloads, beside the one
 * codec, `./im-frames.ts` (plain, what the client bundles), re-exported here. The schemas and the
 * plain types are held equal by test/schema-shapes.ts.
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { decode, parseJson } from './decode.js';
import { HutongError } from './errors.js';
import { decodeErrorResponse, decodeKickoutInfo, decodeLoginInfo, decodeLoginResponse } from './im-frames.js';
import { err, type Result } from './result.js';

export * from './im-codes.js';
export {
  clientFrames,
  decodeErrorResponse,
  decodeKickoutInfo,
  decodeLoginInfo,
  decodeLoginResponse,
  decodeProtocal,
  encodeProtocal,
  type ImFrame,
  parseContent,
  parseFrame,
  serverFrames,
} from './im-frames.js';

const userId = Type.String({ maxLength: 128 });

/** The frame. Unknown fields are ignored, as Gson and the JS clients do. */
export const Protocal = Type.Object(
  {
    type: Type.Integer(),
    dataContent: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    from: Type.Optional(userId),
    to: Type.Optional(userId),
    fp: Type.Optional(Type.Union([Type.String({ maxLength: 128 }), Type.Null()])),
    QoS: Type.Optional(Type.Boolean()),
    typeu: Type.Optional(Type.Integer()),
    bridge: Type.Optional(Type.Boolean()),
    sm: Type.Optional(Type.Number()),
  },
  { title: 'Protocal', additionalProperties: true },
);
export type Protocal = Static<typeof Protocal>;

/** Type 0's `dataContent`. `extra` is a string in MobileIMSDK (an object closes the link there). */
export const LoginInfo = Type.Object(
  {
    loginUserId: Type.String({ minLength: 1, maxLength: 128 }),
    loginToken: Type.Optional(Type.Union([Type.String({ maxLength: 8192 }), Type.Null()])),
    extra: Type.Optional(Type.Union([Type.String({ maxLength: 8192 }), Type.Null()])),
    firstLoginTime: Type.Optional(Type.Number()),
  },
  { title: 'login info', additionalProperties: true },
);
export type LoginInfo = Static<typeof LoginInfo>;

export const LoginResponse = Type.Object(
  { code: Type.Integer(), firstLoginTime: Type.Number() },
  { title: 'login response', additionalProperties: true },
);
export type LoginResponse = Static<typeof LoginResponse>;

export const ErrorResponse = Type.Object(
  { errorCode: Type.Integer(), errorMsg: Type.Optional(Type.Union([Type.String(), Type.Null()])) },
  { title: 'error response', additionalProperties: true },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

export const KickoutInfo = Type.Object(
  { code: Type.Integer(), reason: Type.Optional(Type.Union([Type.String(), Type.Null()])) },
  { title: 'kick-out info', additionalProperties: true },
);
export type KickoutInfo = Static<typeof KickoutInfo>;

/** The framework payloads' schemas and the plain decoders that check the same. */
const payloadDecoders = new Map<TSchema, (dataContent: string | null | undefined) => Result<unknown>>([
  [LoginInfo, decodeLoginInfo],
  [LoginResponse, decodeLoginResponse],
  [ErrorResponse, decodeErrorResponse],
  [KickoutInfo, decodeKickoutInfo],
]);

/**
 * A payload nested in `dataContent`, or ERR_IM_FRAME. The framework payloads above go through
 * their decoders in `./im-frames.ts` (the messages name the key that is wrong); any other schema
 * is checked by TypeBox.
 */
export function decodeContent<S extends TSchema>(
  schema: S,
  dataContent: string | null | undefined,
): Result<Static<S>> {
  const plain = payloadDecoders.get(schema);
  if (plain) return plain(dataContent) as Result<Static<S>>;
  if (typeof dataContent !== 'string') {
    return err(
      new HutongError(
        'ERR_IM_FRAME',
        `dataContent must hold the ${schema.title ?? 'payload'} as a JSON string`,
      ),
    );
  }
  const parsed = parseJson(dataContent, 'ERR_IM_FRAME');
  if (!parsed.ok) return parsed;
  return decode(schema, parsed.value, 'ERR_IM_FRAME');
}
