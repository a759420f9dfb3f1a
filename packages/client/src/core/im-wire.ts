/**
 * MobileIMSDK's wire as the client speaks it (docs/protocols/mobileimsdk.md#mobileimsdk-wire, docs/im.md): one `Protocal` JSON
 * object per text frame, framework payloads as JSON strings inside `dataContent`. The numbers come
 * from `@hutong/protocol/im-codes` (plain constants); only types come from `@hutong/protocol/im`,
 * whose schemas would put a validator into every mini program.
 */

import { imErrorCodes, imExtensionTypes, imHutongCodes, imTypes } from '@hutong/protocol/im-codes';

/**
 * Close codes of Hutong's `/im`, in the ranges of `@hutong/protocol/close-codes`: 4029 (too many
 * frames before login) and 4008 (slow consumer) are reconnected with backoff; 4401 (session logged
 * out) ends the client with `authFailed`; 4440 (session expired) gets one fresh session, as login
 * code 1025; 4503 (draining) reconnects at once.
 */
export { imCloseCodes } from '@hutong/protocol/im-codes';

/** Frame types: MobileIMSDK's, plus Hutong's delivery (60) and read (61) receipts. */
export const imFrameTypes = {
  ...imTypes,
  delivered: imExtensionTypes.deliveryReceipt,
  read: imExtensionTypes.read,
} as const;

/**
 * MobileIMSDK's codes (`sendData` returns them) and the ones Hutong's server adds above 1024:
 * 1025 the token is not a live session (log in again), 1026 it is another user's, 1027 the server
 * could not check it now, 1028 too many devices of the user connected; 1403 refused by the business
 * side, 1429 over the per-connection rate, 1430 too many read receipts (that one was not kept), 1503
 * not stored now (a resend tries again). Errors about a message name it in `fp`.
 */
export const imCodes = { ...imErrorCodes, ...imHutongCodes } as const;

/** The server's user id; `-1` is "unset". */
export const IM_SERVER_ID = '0';

/**
 * MobileIMSDK's `Protocal` frame, the shape of `@hutong/protocol/im`'s schema (written out so the
 * published types need no schema library; `test/wire-types.ts` fails to compile if they differ).
 */
export interface Protocal {
  type: number;
  dataContent?: string | null;
  from?: string;
  to?: string;
  fp?: string | null;
  QoS?: boolean;
  typeu?: number;
  bridge?: boolean;
  sm?: number;
}

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
