import type { IncomingHttpHeaders } from 'node:http';
import { HutongError, wxHeaders } from '@hutong/protocol';
import type { UserDataInput } from './auth.js';

/** Largest value accepted in any one X-WX-* header. */
export const MAX_HEADER_VALUE = 16 * 1024;

/** One header value: the first when repeated, '' when absent; too long → ERR_PAYLOAD_TOO_LARGE. */
export function header(headers: IncomingHttpHeaders, name: string): string {
  const raw = headers[name.toLowerCase()];
  const value = (Array.isArray(raw) ? raw[0] : raw) ?? '';
  if (value.length > MAX_HEADER_VALUE)
    throw new HutongError('ERR_PAYLOAD_TOO_LARGE', `Header ${name} is too long`);
  return value.trim();
}

/** The session token: `Authorization: Bearer …` or `X-WX-Skey`. */
export function sessionToken(headers: IncomingHttpHeaders): string {
  const auth = header(headers, 'authorization');
  if (auth.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim();
  return header(headers, wxHeaders.skey);
}

/**
 * User data sent beside a login code, in whichever historical form the client used. The literal
 * string "undefined" (what old clients send when wx gave nothing) counts as absent.
 */
export function userDataFrom(fields: {
  encryptedData?: string | null | undefined;
  iv?: string | null | undefined;
  encryptData?: string | null | undefined;
  rawData?: string | null | undefined;
  signature?: string | null | undefined;
}): UserDataInput | undefined {
  const present = (v: string | null | undefined): v is string => !!v && v !== 'undefined' && v !== 'null';
  if (present(fields.encryptedData) && present(fields.iv)) {
    return { kind: 'encrypted', encryptedData: fields.encryptedData, iv: fields.iv };
  }
  if (present(fields.encryptedData) || present(fields.encryptData)) {
    return { kind: 'legacy', encryptData: (fields.encryptedData || fields.encryptData) as string };
  }
  if (present(fields.rawData) && present(fields.signature)) {
    return { kind: 'signed', rawData: fields.rawData, signature: fields.signature };
  }
  if (present(fields.rawData) || present(fields.signature)) {
    throw new HutongError('ERR_HEADER_MISSING', 'rawData and signature must be sent together');
  }
  return undefined;
}

/** User data from the Wafer/weapp-session login headers. rawData arrives URI-encoded. */
export function userDataFromHeaders(headers: IncomingHttpHeaders): UserDataInput | undefined {
  let rawData = header(headers, wxHeaders.rawData);
  if (rawData) {
    try {
      rawData = decodeURIComponent(rawData);
    } catch {
      throw new HutongError('ERR_BAD_REQUEST', 'X-WX-RawData is not URI-encoded');
    }
  }
  return userDataFrom({
    encryptedData: header(headers, wxHeaders.encryptedData),
    iv: header(headers, wxHeaders.iv),
    encryptData: header(headers, wxHeaders.encryptData),
    rawData,
    signature: header(headers, wxHeaders.signature),
  });
}
