import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { decode, parseJson } from './decode.js';
import { HutongError } from './errors.js';
/**
 * MobileIMSDK's WebSocket wire (docs/protocols/mobileimsdk.md#mobileimsdk-wire): one `Protocal` JSON object per text frame.
 * Framework payloads (login info, login response, error, kick-out) are JSON *strings* inside
 * `dataContent`; an ACK's `dataContent` is the acknowledged fingerprint; app data is opaque.
 */
import { IM_SERVER, IM_UNSET, imTypes } from './im-codes.js';
import { err, type Result } from './result.js';

export * from './im-codes.js';

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

/** A text frame as a Protocal, or ERR_IM_FRAME saying what is wrong. */
export function decodeProtocal(text: string): Result<Protocal> {
  const parsed = parseJson(text, 'ERR_IM_FRAME');
  if (!parsed.ok) return parsed;
  return decode(Protocal, parsed.value, 'ERR_IM_FRAME');
}

/** A framework payload nested in `dataContent` (login info, responses), or ERR_IM_FRAME. */
export function decodeContent<S extends TSchema>(
  schema: S,
  dataContent: string | null | undefined,
): Result<Static<S>> {
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

/**
 * Writes a frame the way MobileIMSDK's server does (Gson): keys in its order, absent and null
 * fields left out. Extension fields (`extra`) follow; MobileIMSDK clients ignore them.
 */
export function encodeProtocal(frame: Protocal & Record<string, unknown>): string {
  const { bridge, type, dataContent, from, to, fp, QoS, typeu, sm, ...extra } = frame;
  const ordered: Record<string, unknown> = {
    bridge: bridge ?? false,
    type,
    dataContent,
    from: from ?? IM_UNSET,
    to: to ?? IM_UNSET,
    fp,
    QoS: QoS ?? false,
    typeu: typeu ?? -1,
    sm: sm ?? -1,
    ...extra,
  };
  for (const key of Object.keys(ordered))
    if (ordered[key] === null || ordered[key] === undefined) delete ordered[key];
  return JSON.stringify(ordered);
}

/** Server frames (§6): each a Protocal from the server ("0"). */
export const serverFrames = {
  loginResponse: (to: string, response: LoginResponse): Protocal => ({
    type: imTypes.loginResponse,
    dataContent: JSON.stringify(response),
    from: IM_SERVER,
    to,
  }),
  pong: (to: string): Protocal => ({ type: imTypes.pong, dataContent: '{}', from: IM_SERVER, to }),
  error: (errorCode: number, errorMsg: string): Protocal => ({
    type: imTypes.error,
    dataContent: JSON.stringify({ errorCode, errorMsg }),
    from: IM_SERVER,
    to: IM_UNSET,
  }),
  echo: (frame: Protocal): Protocal => ({ ...frame, type: imTypes.echoResponse }),
  kickout: (to: string, code: number, reason?: string): Protocal => ({
    type: imTypes.kickout,
    dataContent: JSON.stringify(reason === undefined ? { code } : { code, reason }),
    from: IM_SERVER,
    to,
  }),
  /** An ACK: `from` acknowledges `fp` to `to`. */
  ack: (from: string, to: string, fp: string): Protocal => ({ type: imTypes.ack, dataContent: fp, from, to }),
};
