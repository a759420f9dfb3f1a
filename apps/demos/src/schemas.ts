/**
 * The demo routes' request bodies, one schema each. Meaning beyond shape (a stroke is one pen down,
 * within the canvas, in time order) is `checkStroke`'s, shared with the pages.
 */
import { type Static, Type } from '@sinclair/typebox';
import { strokeLimits } from './drawing.js';

/** A user's chosen name: 1-20 characters after trimming, checked further by `cleanName`. */
export const ProfileBody = Type.Object(
  { nickName: Type.String({ maxLength: 200 }) },
  { title: 'profile', additionalProperties: false },
);
export type ProfileBody = Static<typeof ProfileBody>;

export const DrawingBody = Type.Object(
  {
    title: Type.Optional(Type.String({ maxLength: 200 })),
    width: Type.Integer({ minimum: 1, maximum: strokeLimits.maxSide }),
    height: Type.Integer({ minimum: 1, maximum: strokeLimits.maxSide }),
    color: Type.Optional(Type.String({ pattern: '^#[0-9a-fA-F]{6}$' })),
    lineWidth: Type.Optional(Type.Integer({ minimum: 1, maximum: 40 })),
    /** Shape and meaning are checked by `checkStroke`, which names the failing action. */
    actions: Type.Array(Type.Unknown()),
  },
  { title: 'drawing', additionalProperties: false },
);
export type DrawingBody = Static<typeof DrawingBody>;

export const GroupBody = Type.Object(
  {
    name: Type.String({ maxLength: 200 }),
    members: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 50 }),
  },
  { title: 'group', additionalProperties: false },
);
export type GroupBody = Static<typeof GroupBody>;

/** Drawing and group ids are 12 URL-safe characters (`newId`). */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,16}$/;
