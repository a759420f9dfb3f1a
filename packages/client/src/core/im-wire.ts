/**
 * MobileIMSDK's wire as the client speaks it (PROTOCOLS.md §6, docs/im.md): one `Protocal` JSON
 * object per text frame, framework payloads as JSON strings inside `dataContent`. Only types come
 * from `@hutong/protocol/im` (its schemas would put a validator into every mini program); the
 * constants are checked against it at compile time.
 */
import type { Protocal, imErrorCodes as protocolCodes, imTypes as protocolTypes } from '@hutong/protocol/im';

/** Frame types: MobileIMSDK's, plus Hutong's delivery (60) and read (61) receipts. */
export const imFrameTypes = {
  login: 0,
  keepAlive: 1,
  data: 2,
  logout: 3,
  ack: 4,
  echo: 5,
  loginResponse: 50,
  pong: 51,
  error: 52,
  echoResponse: 53,
  kickout: 54,
  delivered: 60,
  read: 61,
} as const satisfies typeof protocolTypes & Record<string, number>;

/** MobileIMSDK's codes (`sendData` returns them) and the ones Hutong's server adds above 1024. */
export const imCodes = {
  ok: 0,
  noLogin: 1,
  unknown: 2,
  sendFailed: 3,
  invalidProtocal: 4,
  responseForUnlogin: 301,
  /** Login: the token is not a live session (log in again). */
  tokenInvalid: 1025,
  /** Login: the token belongs to another user. */
  tokenOtherUser: 1026,
  /** Login: the server could not check the token now; try again later. */
  verifyUnavailable: 1027,
  /** Data: refused by the business side (`errorMsg` is the fp). */
  refused: 1403,
  /** Data: more than the server's per-connection rate. */
  rateLimited: 1429,
  /** Data: not stored now (`errorMsg` is the fp); a resend tries again. */
  notAccepted: 1503,
} as const satisfies Partial<typeof protocolCodes> & Record<string, number>;

/** The server's user id; `-1` is "unset". */
export const IM_SERVER_ID = '0';

/** A frame as received: Hutong adds `sid`, `seq`, `conv` (and `group`) to data and ACK frames. */
export interface ImFrame extends Protocal {
  sid?: unknown;
  seq?: unknown;
  conv?: unknown;
  group?: unknown;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const optional = (value: unknown, type: 'string' | 'number' | 'boolean', nullable = false) =>
  value === undefined || typeof value === type || (nullable && value === null);

/** A text frame as a Protocal, or undefined when it is not one (binary, not JSON, wrong field types). */
export function parseFrame(data: string | ArrayBuffer): ImFrame | undefined {
  if (typeof data !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || !Number.isInteger(value['type'])) return undefined;
  const ok =
    optional(value['dataContent'], 'string', true) &&
    optional(value['from'], 'string') &&
    optional(value['to'], 'string') &&
    optional(value['fp'], 'string', true) &&
    optional(value['QoS'], 'boolean') &&
    optional(value['typeu'], 'number') &&
    optional(value['sm'], 'number');
  return ok ? (value as unknown as ImFrame) : undefined;
}

/** A framework payload inside `dataContent` (login response, error, kick-out, receipts). */
export function parseContent(frame: ImFrame): Record<string, unknown> | undefined {
  if (typeof frame.dataContent !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(frame.dataContent);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Frames the client sends, as MobileIMSDK's clients write them. */
export const clientFrames = {
  login: (info: { loginUserId: string; loginToken: string; extra: string | null; firstLoginTime: number }) =>
    encode({ type: imFrameTypes.login, dataContent: JSON.stringify(info), from: info.loginUserId, to: '0' }),
  keepAlive: (from: string) => encode({ type: imFrameTypes.keepAlive, dataContent: '{}', from, to: '0' }),
  logout: (from: string) => encode({ type: imFrameTypes.logout, from, to: '0' }),
  data: (from: string, message: { to: string; content: string; fp: string; typeu: number }) =>
    encode({
      type: imFrameTypes.data,
      dataContent: message.content,
      from,
      to: message.to,
      fp: message.fp,
      QoS: true,
      typeu: message.typeu,
    }),
  /** `from` acknowledges `fp` to its sender `to`. */
  ack: (from: string, to: string, fp: string) =>
    encode({ type: imFrameTypes.ack, dataContent: fp, from, to }),
  read: (from: string, conv: string, seq: number) =>
    encode({ type: imFrameTypes.read, dataContent: JSON.stringify({ conv, seq }), from, to: '0' }),
};

function encode(frame: Protocal): string {
  return JSON.stringify({ bridge: false, QoS: false, typeu: -1, sm: -1, ...frame });
}

/** UTF-8 length of a string (the server's frame limit is in bytes). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00) {
      bytes += 4; // a surrogate pair
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

let counter = Math.floor(Math.random() * 0x10000);
const hex = (value: number, digits: number) => value.toString(16).padStart(digits, '0').slice(-digits);

/**
 * A 128-bit message id (32 hex digits): milliseconds (48 bits), a counter (16 bits)
 * and 64 random bits. The core has no crypto API; uniqueness is what matters (the server
 * de-duplicates by sender and fp).
 */
export function fingerprint(): string {
  counter = (counter + 1) & 0xffff;
  const random = () => Math.floor(Math.random() * 0x100000000);
  return hex(Date.now(), 12) + hex(counter, 4) + hex(random(), 8) + hex(random(), 8);
}
