import { WxProfile } from '@hutong/protocol/schemas';
import { type Static, Type } from '@sinclair/typebox';
import { faultApis } from './faults.js';

/** Ids are opaque but printable: letters, digits, `-` and `_`, as WeChat's are. */
const Id = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+$' });
const AppId = Id(64);
const OpenId = Id(128);
const Code = Id(256);

export const LoginBody = Type.Object(
  { appid: Type.Optional(AppId), openid: Type.Optional(OpenId), unionid: Type.Optional(OpenId) },
  { title: 'sim login body', additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const UserInfoBody = Type.Object(
  {
    code: Code,
    appid: Type.Optional(AppId),
    /** Sets the user's profile before the data is made. */
    userInfo: Type.Optional(WxProfile),
    /** `'profile'` makes getUserProfile data: no openId/unionId in the encrypted part. */
    kind: Type.Optional(Type.Union([Type.Literal('userInfo'), Type.Literal('profile')])),
  },
  { title: 'sim userinfo body', additionalProperties: false },
);
export type UserInfoBody = Static<typeof UserInfoBody>;

export const CheckSessionBody = Type.Object(
  { code: Code, appid: Type.Optional(AppId) },
  { title: 'sim checksession body', additionalProperties: false },
);
export type CheckSessionBody = Static<typeof CheckSessionBody>;

export const PhoneBody = Type.Object(
  {
    appid: Type.Optional(AppId),
    openid: Type.Optional(OpenId),
    /** Sets the user's (mainland) number before the code is made. */
    phoneNumber: Type.Optional(Type.String({ pattern: '^[0-9]{5,20}$' })),
  },
  { title: 'sim phonenumber body', additionalProperties: false },
);
export type PhoneBody = Static<typeof PhoneBody>;

export const AppBody = Type.Object(
  {
    appid: AppId,
    secret: Type.String({ minLength: 1, maxLength: 128 }),
    unionid: Type.Optional(Type.Boolean()),
  },
  { title: 'sim app body', additionalProperties: false },
);
export type AppBody = Static<typeof AppBody>;

export const FaultBody = Type.Object(
  {
    api: Type.Union(faultApis.map((api) => Type.Literal(api))),
    errcode: Type.Integer({ minimum: -1, maximum: 99_999 }),
    times: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { title: 'sim fault body', additionalProperties: false },
);
export type FaultBody = Static<typeof FaultBody>;
