/**
 * MobileIMSDK's wire as the client speaks it (docs/protocols/mobileimsdk.md#mobileimsdk-wire, docs/im.md): one `Protocal` JSON
 * object per text frame, framework payloads as JSON strings inside `dataContent`. The codec is
 * `@hutong/protocol/im-frames`, the server's own (plain code, no schema library), and the numbers
 * `@hutong/protocol/im-codes`; this file adds what only the client needs.
 */

import { imErrorCodes, imExtensionTypes, imHutongCodes, imTypes } from '@hutong/protocol/im-codes';
import { type ImFrame, parseFrame as parseText } from '@hutong/protocol/im-frames';

/**
 * Close codes of Hutong's `/im`, in the ranges of `@hutong/protocol/close-codes`: 4029 (too many
 * frames before login) and 4008 (slow consumer) are reconnected with backoff; 4401 (session logged
 * out) ends the client with `authFailed`; 4440 (session expired) gets one fresh session, as login
 * code 1025; 4503 (draining) reconnects at once.
 */
export { imCloseCodes } from '@hutong/protocol/im-codes';
export { clientFrames, type ImFrame, type Protocal, parseContent } from '@hutong/protocol/im-frames';

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
 * not stored now (a resend tries again), 1504 the server is behind (the client waits the error's
 * `retryAfterMs`, then resends). Errors about a message name it in `fp`.
 */
export const imCodes = { ...imErrorCodes, ...imHutongCodes } as const;

/** The server's user id; `-1` is "unset". */
export const IM_SERVER_ID = '0';

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** A text frame as a Protocal, or undefined when it is not one (binary, not JSON, a key of the wrong type or too long). */
export const parseFrame = (data: string | ArrayBuffer): ImFrame | undefined =>
  typeof data === 'string' ? parseText(data) : undefined;

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
