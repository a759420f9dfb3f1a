import { type Static, Type } from '@sinclair/typebox';
import { WxProfile, WxUserInfo } from './wechat.js';

export * from './api-types.js';

/** Hutong's own JSON API (`/api/v1/...`). Errors: `{error: {code, message}}` with the registry's status. */

export const LoginRequest = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 256 }),
    appid: Type.Optional(Type.String({ maxLength: 64 })),
    encryptedData: Type.Optional(Type.String({ maxLength: 16384 })),
    iv: Type.Optional(Type.String({ maxLength: 64 })),
    rawData: Type.Optional(Type.String({ maxLength: 8192 })),
    signature: Type.Optional(Type.String({ maxLength: 64 })),
    /** weapp-session: the session is identified by this login code (its key: `codeSessionKey(code)`). */
    keyedByCode: Type.Optional(Type.Boolean()),
    /** A shorter session lifetime, seconds (never longer than the server's). */
    ttl: Type.Optional(Type.Integer({ minimum: 60, maximum: 365 * 24 * 3600 })),
  },
  { title: 'login request', additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const PublicUser = Type.Object(
  {
    id: Type.String(),
    appid: Type.String(),
    openId: Type.String(),
    unionId: Type.Optional(Type.String()),
    profile: Type.Optional(WxProfile),
    phoneNumber: Type.Optional(Type.String()),
  },
  { title: 'user' },
);
export type PublicUser = Static<typeof PublicUser>;

export const SessionView = Type.Object(
  {
    skey: Type.String(),
    user: PublicUser,
    /** The user in WeChat's userInfo shape (what the Wafer dialects return). */
    userInfo: WxUserInfo,
    /** Epoch ms: the session ends at the earlier of this and `idleExpiresAt`. */
    expiresAt: Type.Number(),
    idleExpiresAt: Type.Number(),
  },
  { title: 'session' },
);
export type SessionView = Static<typeof SessionView>;

export const PhoneBindRequest = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 256 }) },
  { title: 'phone request', additionalProperties: false },
);
export type PhoneBindRequest = Static<typeof PhoneBindRequest>;

export const ProfileUpdateRequest = Type.Object(
  { profile: WxProfile },
  { title: 'profile request', additionalProperties: false },
);
