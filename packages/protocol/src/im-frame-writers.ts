/**
 * Writing MobileIMSDK frames (docs/protocols/mobileimsdk.md#protocal): the server's encoder in
 * Gson's key order and the frames each side builds. Part of `@hutong/protocol/im-frames`, which
 * re-exports it; nothing here but the codes, since the client bundles it.
 */
import { IM_SERVER, IM_UNSET, imExtensionTypes, imTypes } from './im-codes.js';
import type { LoginResponse, Protocal } from './im-frames.js';

/** The keys `encodeProtocal` writes first, in Gson's order; the rest of a frame follows them. */
const GSON_KEYS = new Set(['bridge', 'type', 'dataContent', 'from', 'to', 'fp', 'QoS', 'typeu', 'sm']);

/**
 * Writes a frame the way MobileIMSDK's server does (Gson): keys in its order, absent and null
 * fields left out. Extension fields (`extra`) follow in the frame's order; MobileIMSDK clients
 * ignore them. Every frame the server sends goes through here: the ordered object is built with
 * only the keys it writes (no `delete`, which would turn it into a slow dictionary), then written
 * by one JSON.stringify.
 */
export function encodeProtocal(frame: Protocal & Record<string, unknown>): string {
  const ordered: Record<string, unknown> = { bridge: frame.bridge ?? false };
  if (frame.type != null) ordered['type'] = frame.type;
  if (frame.dataContent != null) ordered['dataContent'] = frame.dataContent;
  ordered['from'] = frame.from ?? IM_UNSET;
  ordered['to'] = frame.to ?? IM_UNSET;
  if (frame.fp != null) ordered['fp'] = frame.fp;
  ordered['QoS'] = frame.QoS ?? false;
  ordered['typeu'] = frame.typeu ?? -1;
  ordered['sm'] = frame.sm ?? -1;
  for (const key in frame) {
    if (!Object.hasOwn(frame, key) || GSON_KEYS.has(key)) continue;
    const value = frame[key];
    if (value !== null && value !== undefined) ordered[key] = value;
  }
  return JSON.stringify(ordered);
}

/** Server frames (§6): each a Protocal from the server ("0"), for `encodeProtocal`. */
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

/**
 * A client frame as text: the unset values first, then the frame's keys (a key given replaces its
 * default in place). Servers read the keys in any order.
 */
const encodeClientFrame = (frame: Protocal): string =>
  JSON.stringify({ bridge: false, QoS: false, typeu: -1, sm: -1, ...frame });

/** Frames a client sends, as text. */
export const clientFrames = {
  login: (info: { loginUserId: string; loginToken: string; extra: string | null; firstLoginTime: number }) =>
    encodeClientFrame({
      type: imTypes.login,
      dataContent: JSON.stringify(info),
      from: info.loginUserId,
      to: IM_SERVER,
    }),
  keepAlive: (from: string) =>
    encodeClientFrame({ type: imTypes.keepAlive, dataContent: '{}', from, to: IM_SERVER }),
  logout: (from: string) => encodeClientFrame({ type: imTypes.logout, from, to: IM_SERVER }),
  data: (from: string, message: { to: string; content: string; fp: string; typeu: number }) =>
    encodeClientFrame({
      type: imTypes.data,
      dataContent: message.content,
      from,
      to: message.to,
      fp: message.fp,
      QoS: true,
      typeu: message.typeu,
    }),
  /** `from` acknowledges `fp` to its sender `to`. */
  ack: (from: string, to: string, fp: string) =>
    encodeClientFrame({ type: imTypes.ack, dataContent: fp, from, to }),
  /** Hutong's read receipt (type 61): `from` has read `conv` up to `seq`. */
  read: (from: string, conv: string, seq: number) =>
    encodeClientFrame({
      type: imExtensionTypes.read,
      dataContent: JSON.stringify({ conv, seq }),
      from,
      to: IM_SERVER,
    }),
};
