/**
 * The drawing format of the original 一笔到底 mini program: the actions array of WeChat's first
 * canvas API (`wx.createContext().getActions()`, drawn with `wx.drawCanvas`), which it saves as
 * JSON text. A stroke there is
 *
 * ```json
 * [{"method": "save", "data": []},
 *  {"method": "setStrokeStyle", "data": ["normal", [102, 102, 102, 255]]},
 *  {"method": "setLineWidth", "data": [5]},
 *  {"method": "strokePath", "data": [{"method": "moveTo", "data": [x, y]}, {"method": "lineTo", "data": [x, y]}]},
 *  {"method": "restore", "data": []}]
 * ```
 *
 * The pages turn their stroke into this and back, so a drawing made by either app opens in the
 * other. No dependencies: this file is bundled into the web page; the mini program has a JS copy
 * (apps/demos/miniprogram/utils/canvas-actions.js) that a test holds to the same answers.
 */

export interface CanvasAction {
  method: string;
  data: unknown[];
}

/** A stroke as the canvas draws it: points in canvas pixels, no timing. */
export interface Polyline {
  points: [number, number][];
  /** `#rrggbb`. */
  color: string;
  lineWidth: number;
}

/** What WeChat's canvas starts with. */
const DEFAULT_COLOR = '#000000';
const DEFAULT_LINE_WIDTH = 1;

const hex = (n: number) =>
  Math.max(0, Math.min(255, Math.round(n)))
    .toString(16)
    .padStart(2, '0');
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isAction = (value: unknown): value is CanvasAction =>
  value !== null &&
  typeof value === 'object' &&
  typeof (value as CanvasAction).method === 'string' &&
  Array.isArray((value as CanvasAction).data);

/** `#rrggbb` as WeChat's color array `[r, g, b, a]`. */
export function colorArray(color: string): [number, number, number, number] {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!match) return [0, 0, 0, 255];
  return [
    Number.parseInt(match[1]!, 16),
    Number.parseInt(match[2]!, 16),
    Number.parseInt(match[3]!, 16),
    255,
  ];
}

/** The stroke as the original mini program saved one. */
export function toCanvasActions(line: Polyline): CanvasAction[] {
  const path = line.points.map(([x, y], i) => ({ method: i === 0 ? 'moveTo' : 'lineTo', data: [x, y] }));
  return [
    { method: 'save', data: [] },
    { method: 'setStrokeStyle', data: ['normal', colorArray(line.color)] },
    { method: 'setLineWidth', data: [line.lineWidth] },
    { method: 'strokePath', data: path },
    { method: 'restore', data: [] },
  ];
}

/**
 * The first stroke of saved canvas actions (the one the original draws), with the color and line
 * width set before it; undefined when there is none with two points or more, or the value is not
 * canvas actions at all (a paint saved by some other client).
 */
export function fromCanvasActions(value: unknown): Polyline | undefined {
  if (!Array.isArray(value)) return undefined;
  let color = DEFAULT_COLOR;
  let lineWidth = DEFAULT_LINE_WIDTH;
  for (const action of value) {
    if (!isAction(action)) return undefined;
    const [first, second] = action.data;
    if (action.method === 'setLineWidth' && isNumber(first) && first > 0) lineWidth = first;
    if (action.method === 'setStrokeStyle' && Array.isArray(second) && second.slice(0, 3).every(isNumber)) {
      color = `#${(second.slice(0, 3) as number[]).map(hex).join('')}`;
    }
    if (action.method !== 'strokePath') continue;
    const points: [number, number][] = [];
    for (const step of action.data) {
      if (!isAction(step) || (step.method !== 'moveTo' && step.method !== 'lineTo')) continue;
      const [x, y] = step.data;
      if (isNumber(x) && isNumber(y)) points.push([x, y]);
    }
    if (points.length >= 2) return { points, color, lineWidth };
  }
  return undefined;
}
