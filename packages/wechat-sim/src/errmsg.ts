import { wxErrcodes } from '@hutong/protocol';

/** Errcodes the simulator answers with, beyond those Hutong reacts to (`wxErrcodes`). */
export const simErrcodes = {
  ...wxErrcodes,
  invalidGrantType: 40002,
  invalidOpenid: 40003,
  invalidArgs: 40097,
  accessTokenMissing: 41001,
  dataFormat: 47001,
} as const;

/**
 * WeChat's own errmsg texts, as its servers send them (research A1–A4 and replies seen in the
 * wild). The 45011 text keeps the double spaces of WeChat's table.
 */
const texts: Record<number, string> = {
  [-1]: 'system error',
  0: 'ok',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40003: 'invalid openid',
  40013: 'invalid appid',
  40029: 'invalid code',
  40097: 'invalid args',
  40125: 'invalid appsecret',
  40163: 'code been used',
  40226: 'code blocked',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  41008: 'missing code',
  42001: 'access_token expired',
  45011: 'api minute-quota reach limit  mustslower  retry next minute',
  47001: 'data format error',
  87009: 'invalid signature',
};

export interface WxErrorBody {
  errcode: number;
  errmsg: string;
}

const hex8 = (): string =>
  Math.floor(Math.random() * 0x100000000)
    .toString(16)
    .padStart(8, '0');

/**
 * `{errcode, errmsg}` as WeChat writes it: failures end in `, rid: <request id>` whose first part
 * is the Unix time in hex, so callers that match errmsg exactly break here as they would live.
 */
export function wxError(errcode: number, now: number = Date.now(), detail?: string): WxErrorBody {
  const text = texts[errcode] ?? 'unknown error';
  if (errcode === 0) return { errcode, errmsg: text };
  const rid = `${Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0')}-${hex8()}-${hex8()}`;
  return { errcode, errmsg: `${text}${detail ? `: ${detail}` : ''}, rid: ${rid}` };
}
