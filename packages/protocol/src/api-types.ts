import type { WxProfile, WxUserInfo } from './wechat-types.js';

/**
 * Hutong's JSON API (`/api/v1/...`) answers as plain types, for clients of the API that do not
 * validate (node-sdk). `./api.ts` has the schemas; `test/schema-shapes.ts` keeps the two equal.
 */

export interface PublicUser {
  id: string;
  appid: string;
  openId: string;
  unionId?: string;
  profile?: WxProfile;
  phoneNumber?: string;
}

export interface SessionView {
  skey: string;
  user: PublicUser;
  /** The user in WeChat's userInfo shape (what the Wafer dialects return). */
  userInfo: WxUserInfo;
  /** Epoch ms: the session ends at the earlier of this and `idleExpiresAt`. */
  expiresAt: number;
  idleExpiresAt: number;
}

export interface ApiErrorBody {
  error: { code: string; message: string };
}
