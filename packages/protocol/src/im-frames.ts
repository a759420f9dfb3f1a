/**
 * MobileIMSDK's WebSocket wire (docs/protocols/mobileimsdk.md#mobileimsdk-wire), one codec for the
 * server and the clients: one `Protocal` JSON object per text frame; framework payloads (login
 * info, login response, error, kick-out, receipts) are JSON *strings* inside `dataContent`; an
 * ACK's `dataContent` is the acknowledged fingerprint; app data is opaque.
 *
 * No schema library: the client bundles this file into mini programs. The typed decoders give
 * ERR_IM_FRAME naming the key that is wrong; `parseFrame` and `parseContent` make no error object,
 * so a bundle that uses only them leaves the error registry out. `./im.ts` keeps the TypeBox
 * schemas of the same shapes (test/schema-shapes.ts fails to compile when they differ) and
 * re-exports this codec. Golden vectors: test/vectors/im-frames.json, read by the protocol's and
 * the client's tests.
 */
import { HutongError } from './errors.js';
import { err, ok, type Result } from './result.js';

/**
 * The frame. Unknown keys are kept and ignored, as Gson and the JS clients do. Object types, not
 * interfaces, so a frame passes where `Record<string, unknown>` is asked (`encodeProtocal`).
 */
export type Protocal = {
  type: number;
  dataContent?: string | null;
  from?: string;
  to?: string;
  fp?: string | null;
  QoS?: boolean;
  typeu?: number;
  bridge?: boolean;
  sm?: number;
};

/** A frame as decoded: Hutong adds `sid`, `seq`, `conv` (and `group`) to data frames and the sender's ACK. */
export type ImFrame = Protocal & { sid?: unknown; seq?: unknown; conv?: unknown; group?: unknown };

/** Type 0's `dataContent`. `extra` is a string in MobileIMSDK (an object closes the link there). */
export type LoginInfo = {
  loginUserId: string;
  loginToken?: string | null;
  extra?: string | null;
  firstLoginTime?: number;
};
/** Type 50's `dataContent`. */
export type LoginResponse = { code: number; firstLoginTime: number };
/** Type 52's `dataContent`. */
export type ErrorResponse = { errorCode: number; errorMsg?: string | null };
/** Type 54's `dataContent`. */
export type KickoutInfo = { code: number; reason?: string | null };

/**
 * What a key may hold: a kind, for strings a length in UTF-16 units (as TypeBox counts), whether
 * null is allowed and whether the key is required. Plain data, so that tables a bundle does not
 * use are dropped from it.
 */
type Field = {
  kind: 'string' | 'integer' | 'number' | 'boolean';
  min?: number;
  max?: number;
  nullable?: true;
  required?: true;
};

const userId: Field = { kind: 'string', max: 128 };
const text: Field = { kind: 'string', nullable: true };
const code: Field = { kind: 'integer', required: true };
const token: Field = { kind: 'string', max: 8192, nullable: true };

const protocalFields = {
  type: code,
  dataContent: text,
  from: userId,
  to: userId,
  fp: { kind: 'string', max: 128, nullable: true },
  QoS: { kind: 'boolean' },
  typeu: { kind: 'integer' },
  bridge: { kind: 'boolean' },
  sm: { kind: 'number' },
} satisfies Record<keyof Protocal, Field>;

const loginInfoFields = {
  loginUserId: { kind: 'string', min: 1, max: 128, required: true },
  loginToken: token,
  extra: token,
  firstLoginTime: { kind: 'number' },
} satisfies Record<keyof LoginInfo, Field>;

const loginResponseFields = {
  code,
  firstLoginTime: { kind: 'number', required: true },
} satisfies Record<keyof LoginResponse, Field>;

const errorResponseFields = { errorCode: code, errorMsg: text } satisfies Record<keyof ErrorResponse, Field>;

const kickoutInfoFields = { code, reason: text } satisfies Record<keyof KickoutInfo, Field>;

/** Numbers are finite, as TypeBox's `Number` wants (`1e400` parses to Infinity). */
function fits(value: unknown, field: Field): boolean {
  if (value === null) return field.nullable === true;
  if (field.kind === 'integer') return Number.isInteger(value);
  if (field.kind === 'number') return Number.isFinite(value);
  if (field.kind === 'boolean') return typeof value === 'boolean';
  return (
    typeof value === 'string' &&
    value.length >= (field.min ?? 0) &&
    value.length <= (field.max ?? Number.POSITIVE_INFINITY)
  );
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Why a value is refused: not JSON, not an object, or the first key that does not fit, with its field. */
type Problem = 'not JSON' | 'not a JSON object' | readonly [key: string, field: Field];

function problemOf(value: unknown, fields: Record<string, Field>): Problem | undefined {
  if (!isRecord(value)) return 'not a JSON object';
  // `for…in`, not Object.entries: this runs for every frame, and the field tables are plain
  // literals (own keys only, none integer-like), so the order is the same without the arrays.
  for (const key in fields) {
    const field = fields[key]!;
    const given = value[key];
    if (given === undefined ? field.required : !fits(given, field)) return [key, field];
  }
  return undefined;
}

/**
 * "not JSON", "from must be a string of at most 128 characters", "fp must be … or null". Only the
 * typed decoders call it, so bundles that use `parseFrame` alone leave it out.
 */
function describe(problem: Problem): string {
  if (typeof problem === 'string') return problem;
  const [key, { kind, min, max, nullable }] = problem;
  let what = kind === 'integer' ? 'an integer' : `a ${kind}`;
  if (max !== undefined) what += ` of ${min ? `${min} to` : 'at most'} ${max} characters`;
  return `${key} must be ${what}${nullable ? ' or null' : ''}`;
}

function json(source: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(source) };
  } catch {
    return undefined;
  }
}

/** The frame, or why it is none. */
function readFrame(source: string): { frame: ImFrame } | { problem: Problem } {
  const parsed = json(source);
  if (!parsed) return { problem: 'not JSON' };
  const problem = problemOf(parsed.value, protocalFields);
  return problem ? { problem } : { frame: parsed.value as ImFrame };
}

const invalid = (message: string) => err(new HutongError('ERR_IM_FRAME', message));

/**
 * A text frame as a Protocal, or ERR_IM_FRAME naming the first key that is wrong
 * (`Protocal: from must be a string of at most 128 characters`). `type` is an integer;
 * `dataContent` a string or null; `from`, `to` strings of at most 128 characters; `fp` one of at
 * most 128 or null; `QoS`, `bridge` booleans; `typeu` an integer; `sm` a number. Other keys are
 * kept as they are.
 */
export function decodeProtocal(source: string): Result<ImFrame> {
  const read = readFrame(source);
  return 'frame' in read ? ok(read.frame) : invalid(`Protocal: ${describe(read.problem)}`);
}

/** `decodeProtocal` without the error object: clients count bad frames and bundle no error registry. */
export function parseFrame(source: string): ImFrame | undefined {
  const read = readFrame(source);
  return 'frame' in read ? read.frame : undefined;
}

/** A framework payload inside `dataContent` as an object (responses, receipts), or undefined. */
export function parseContent(frame: Protocal): Record<string, unknown> | undefined {
  const parsed = typeof frame.dataContent === 'string' ? json(frame.dataContent) : undefined;
  return parsed && isRecord(parsed.value) ? parsed.value : undefined;
}

function decodePayload<T>(
  name: string,
  fields: Record<string, Field>,
  dataContent: string | null | undefined,
): Result<T> {
  if (typeof dataContent !== 'string') return invalid(`dataContent must hold the ${name} as a JSON string`);
  const parsed = json(dataContent);
  if (!parsed) return invalid(`${name}: not JSON`);
  const problem = problemOf(parsed.value, fields);
  return problem ? invalid(`${name}: ${describe(problem)}`) : ok(parsed.value as T);
}

type PayloadDecoder<T> = (dataContent: string | null | undefined) => Result<T>;

/** Type 0's payload, or ERR_IM_FRAME naming the key that is wrong (`login info: extra must be …`). */
export const decodeLoginInfo: PayloadDecoder<LoginInfo> = (dataContent) =>
  decodePayload('login info', loginInfoFields, dataContent);

/** Type 50's payload, or ERR_IM_FRAME. */
export const decodeLoginResponse: PayloadDecoder<LoginResponse> = (dataContent) =>
  decodePayload('login response', loginResponseFields, dataContent);

/** Type 52's payload, or ERR_IM_FRAME. */
export const decodeErrorResponse: PayloadDecoder<ErrorResponse> = (dataContent) =>
  decodePayload('error response', errorResponseFields, dataContent);

/** Type 54's payload, or ERR_IM_FRAME. */
export const decodeKickoutInfo: PayloadDecoder<KickoutInfo> = (dataContent) =>
  decodePayload('kick-out info', kickoutInfoFields, dataContent);

export { clientFrames, encodeProtocal, serverFrames } from './im-frame-writers.js';
