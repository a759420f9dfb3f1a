import { type Static, Type } from '@sinclair/typebox';

export * from './wechat-types.js';

export const Watermark = Type.Object(
  { appid: Type.String(), timestamp: Type.Number() },
  { title: 'watermark' },
);

/** What `encryptedData` from getUserInfo decrypts to (getUserProfile data lacks openId/unionId). */
export const WxUserInfo = Type.Object(
  {
    openId: Type.Optional(Type.String()),
    unionId: Type.Optional(Type.String()),
    nickName: Type.Optional(Type.String()),
    gender: Type.Optional(Type.Number()),
    language: Type.Optional(Type.String()),
    city: Type.Optional(Type.String()),
    province: Type.Optional(Type.String()),
    country: Type.Optional(Type.String()),
    avatarUrl: Type.Optional(Type.String()),
    watermark: Type.Optional(Watermark),
  },
  { title: 'user info', additionalProperties: true },
);
export type WxUserInfo = Static<typeof WxUserInfo>;

/** The profile a client sends in clear (`rawData`, `userInfo`): no ids, no watermark. */
export const WxProfile = Type.Object(
  {
    nickName: Type.Optional(Type.String({ maxLength: 256 })),
    avatarUrl: Type.Optional(Type.String({ maxLength: 2048 })),
    gender: Type.Optional(Type.Number()),
    language: Type.Optional(Type.String({ maxLength: 32 })),
    city: Type.Optional(Type.String({ maxLength: 128 })),
    province: Type.Optional(Type.String({ maxLength: 128 })),
    country: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { title: 'profile', additionalProperties: true },
);
export type WxProfile = Static<typeof WxProfile>;

export const WxError = Type.Object(
  { errcode: Type.Number(), errmsg: Type.Optional(Type.String()) },
  { title: 'WeChat error', additionalProperties: true },
);
export type WxError = Static<typeof WxError>;

export const Code2SessionOk = Type.Object(
  {
    openid: Type.String({ minLength: 1 }),
    session_key: Type.String({ minLength: 1 }),
    unionid: Type.Optional(Type.String()),
  },
  { title: 'jscode2session reply', additionalProperties: true },
);
export type Code2SessionOk = Static<typeof Code2SessionOk>;

export const AccessTokenOk = Type.Object(
  { access_token: Type.String({ minLength: 1 }), expires_in: Type.Number() },
  { title: 'access token reply', additionalProperties: true },
);
export type AccessTokenOk = Static<typeof AccessTokenOk>;

export const PhoneInfo = Type.Object(
  {
    phoneNumber: Type.String(),
    purePhoneNumber: Type.String(),
    countryCode: Type.String(),
    watermark: Watermark,
  },
  { title: 'phone info', additionalProperties: true },
);
export type PhoneInfo = Static<typeof PhoneInfo>;

export const PhoneNumberOk = Type.Object(
  { errcode: Type.Literal(0), phone_info: PhoneInfo },
  { title: 'getuserphonenumber reply', additionalProperties: true },
);
