/**
 * Compile-time check (`tsc -b tsconfig.json`, part of `npm run lint`): each plain type of
 * `@hutong/protocol` is exactly what its schema in `@hutong/protocol/schemas` accepts (and each IM
 * type of `/im-frames` what its schema in `/im` accepts), so the packages that use the plain types
 * (node-sdk, core, the client) and the server that validates with the schemas speak the same
 * messages.
 */
import type { Static } from '@sinclair/typebox';
import type * as im from '../src/im.js';
import type * as imFrames from '../src/im-frames.js';
import type * as plain from '../src/index.js';
import type * as schemas from '../src/schemas.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export const shapes: [
  Equal<plain.WxUserInfo, schemas.WxUserInfo>,
  Equal<plain.WxProfile, schemas.WxProfile>,
  Equal<plain.PhoneInfo, schemas.PhoneInfo>,
  Equal<plain.Watermark, Static<typeof schemas.Watermark>>,
  Equal<plain.PublicUser, schemas.PublicUser>,
  Equal<plain.SessionView, schemas.SessionView>,
  Equal<plain.PushPacket, schemas.PushPacket>,
  Equal<plain.RoomsRequest, schemas.RoomsRequest>,
  Equal<plain.TunnelMessage, schemas.TunnelMessage>,
  Equal<imFrames.Protocal, im.Protocal>,
  Equal<imFrames.LoginInfo, im.LoginInfo>,
  Equal<imFrames.LoginResponse, im.LoginResponse>,
  Equal<imFrames.ErrorResponse, im.ErrorResponse>,
  Equal<imFrames.KickoutInfo, im.KickoutInfo>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true];
