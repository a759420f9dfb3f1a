/**
 * 一笔到底's drawing format and its checks, shared by the server (before a drawing is stored) and
 * the pages (before one is sent, and before a stored one is replayed). A drawing is one stroke kept
 * as the actions that replay it: `["m", x, y, 0]` once (pen down), then `["l", x, y, t]` (line to),
 * `t` in milliseconds since pen down. No dependencies: this file is bundled into the web page.
 */

export type StrokeAction = ['m' | 'l', number, number, number];

export interface Stroke {
  width: number;
  height: number;
  actions: StrokeAction[];
}

/** A drawing as the list shows it. */
export interface DrawingSummary {
  id: string;
  title: string;
  width: number;
  height: number;
  /** How many actions the stroke has. */
  points: number;
  createdAt: number;
}

export const strokeLimits = {
  minActions: 2,
  maxActions: 5000,
  maxSide: 4096,
  maxDurationMs: 10 * 60_000,
  maxBodyBytes: 256 * 1024,
  maxTitle: 40,
  maxDrawingsPerUser: 500,
} as const;

export type StrokeProblem = 'ERR_DEMO_EMPTY_STROKE' | 'ERR_DEMO_STROKE_TOO_LARGE' | 'ERR_DEMO_BAD_STROKE';

export interface StrokeCheck {
  code: StrokeProblem;
  message: string;
}

const isSide = (n: unknown): n is number =>
  Number.isInteger(n) && (n as number) >= 1 && (n as number) <= strokeLimits.maxSide;

/** Why `value` is not a drawable stroke, or `null` when it is. Checks shape and meaning alike. */
export function checkStroke(value: {
  width?: unknown;
  height?: unknown;
  actions?: unknown;
}): StrokeCheck | null {
  const { width, height, actions } = value;
  if (!isSide(width) || !isSide(height)) {
    return {
      code: 'ERR_DEMO_BAD_STROKE',
      message: `width and height must be whole numbers 1-${strokeLimits.maxSide}`,
    };
  }
  if (!Array.isArray(actions)) return { code: 'ERR_DEMO_BAD_STROKE', message: 'actions must be a list' };
  if (actions.length < strokeLimits.minActions) {
    return {
      code: 'ERR_DEMO_EMPTY_STROKE',
      message: 'a stroke needs at least 2 actions: draw a line, not a dot',
    };
  }
  if (actions.length > strokeLimits.maxActions) {
    return {
      code: 'ERR_DEMO_STROKE_TOO_LARGE',
      message: `a stroke has at most ${strokeLimits.maxActions} actions (this one has ${actions.length})`,
    };
  }
  let last = 0;
  for (let i = 0; i < actions.length; i++) {
    const action: unknown = actions[i];
    const bad = (why: string): StrokeCheck => ({
      code: 'ERR_DEMO_BAD_STROKE',
      message: `action ${i}: ${why}`,
    });
    if (!Array.isArray(action) || action.length !== 4) return bad('must be [kind, x, y, t]');
    const [kind, x, y, t] = action as unknown[];
    if (kind !== (i === 0 ? 'm' : 'l'))
      return bad(i === 0 ? 'a stroke starts with "m"' : 'only "l" may follow "m": one stroke');
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > width)
      return bad(`x must be within 0-${width}`);
    if (typeof y !== 'number' || !Number.isFinite(y) || y < 0 || y > height)
      return bad(`y must be within 0-${height}`);
    if (typeof t !== 'number' || !Number.isFinite(t) || t < last || t > strokeLimits.maxDurationMs) {
      return bad('t must be milliseconds since pen down, never going back, at most 10 minutes');
    }
    last = t;
  }
  return null;
}
