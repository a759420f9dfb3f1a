/**
 * Compile-time check (`tsc -b tsconfig.json`, part of `npm run lint`): each plain type of
 * `@hutong/protocol` is exactly what its schema in `@hutong/protocol/schemas` accepts, so the
 * packages that use the plain types (node-sdk, core) and the server that validates with the
 * schemas speak the same messages.
 */
import type { Static } from '@sinclair/typebox';
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
] = [true, true, true, true, true, true, true, true, true];
