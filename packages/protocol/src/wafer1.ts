import { type Static, Type } from '@sinclair/typebox';

export * from './wafer1-codes.js';

const str = (max: number) => Type.String({ maxLength: max });

export const Wafer1Envelope = Type.Object(
  {
    version: Type.Optional(Type.Union([Type.Number(), Type.String()])),
    componentName: Type.Optional(Type.String()),
    interface: Type.Object(
      {
        interfaceName: Type.Optional(Type.String({ maxLength: 64 })),
        /** Go auth server extension: several apps per server. */
        appid: Type.Optional(str(64)),
        para: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      },
      { additionalProperties: true },
    ),
  },
  { title: 'auth request', additionalProperties: true },
);
export type Wafer1Envelope = Static<typeof Wafer1Envelope>;

/** `encrypt_data` and `iv` may be absent; old server SDKs send no `iv` (2016 algorithm). */
export const Wafer1LoginPara = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 256 }),
    encrypt_data: Type.Optional(Type.Union([str(16384), Type.Null()])),
    iv: Type.Optional(Type.Union([str(64), Type.Null()])),
  },
  { title: 'qcloud.cam.id_skey para', additionalProperties: true },
);
export type Wafer1LoginPara = Static<typeof Wafer1LoginPara>;

export const Wafer1CheckPara = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 128 }), skey: Type.String({ minLength: 1, maxLength: 256 }) },
  { title: 'qcloud.cam.auth para', additionalProperties: true },
);
export type Wafer1CheckPara = Static<typeof Wafer1CheckPara>;
