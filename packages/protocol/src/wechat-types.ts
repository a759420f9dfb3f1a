/**
 * WeChat's data shapes as plain types (no schema library): what `./wechat.ts`'s schemas accept,
 * written out so packages that never validate (node-sdk, core) load and install no validator.
 * `test/schema-shapes.ts` fails to compile if a shape and its schema differ.
 */

/** WeChat's own errcodes that Hutong reacts to (server API). */
export const wxErrcodes = {
  busy: -1,
  invalidCredential: 40001,
  invalidAppid: 40013,
  invalidCode: 40029,
  codeUsed: 40163,
  codeBlocked: 40226,
  rateLimited: 45011,
  missingAppid: 41002,
  missingSecret: 41004,
  missingCode: 41008,
  accessTokenExpired: 42001,
  invalidSignature: 87009,
  invalidSecret: 40125,
} as const;

export interface Watermark {
  appid: string;
  timestamp: number;
}

/** What `encryptedData` from getUserInfo decrypts to (getUserProfile data lacks openId/unionId). */
export interface WxUserInfo {
  openId?: string;
  unionId?: string;
  nickName?: string;
  gender?: number;
  language?: string;
  city?: string;
  province?: string;
  country?: string;
  avatarUrl?: string;
  watermark?: Watermark;
}

/** The profile a client sends in clear (`rawData`, `userInfo`): no ids, no watermark. */
export interface WxProfile {
  nickName?: string;
  avatarUrl?: string;
  gender?: number;
  language?: string;
  city?: string;
  province?: string;
  country?: string;
}

export interface PhoneInfo {
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
  watermark: Watermark;
}
