/**
 * The original 一笔到底's drawing format, WeChat's first canvas API's actions
 * (`wx.createContext().getActions()`), to a stroke and back: the mini program's copy of
 * apps/demos/src/canvas-actions.ts (a test holds the two to the same answers). See that file for
 * the format.
 */

const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);
const isAction = (value) =>
  value !== null &&
  typeof value === 'object' &&
  typeof value.method === 'string' &&
  Array.isArray(value.data);
const hex = (n) =>
  Math.max(0, Math.min(255, Math.round(n)))
    .toString(16)
    .padStart(2, '0');

/** `#rrggbb` as WeChat's color array `[r, g, b, a]`; anything else is black. */
function colorArray(color) {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!match) return [0, 0, 0, 255];
  return [parseInt(match[1], 16), parseInt(match[2], 16), parseInt(match[3], 16), 255];
}

/**
 * The stroke as the original mini program saved one.
 * @param {{points: Array<[number, number]>, color: string, lineWidth: number}} line
 */
function toCanvasActions(line) {
  const path = line.points.map(([x, y], i) => ({ method: i === 0 ? 'moveTo' : 'lineTo', data: [x, y] }));
  return [
    { method: 'save', data: [] },
    { method: 'setStrokeStyle', data: ['normal', colorArray(line.color)] },
    { method: 'setLineWidth', data: [line.lineWidth] },
    { method: 'strokePath', data: path },
    { method: 'restore', data: [] },
  ];
}

/** The first stroke of two points or more, with the color and width set before it; else undefined. */
function fromCanvasActions(value) {
  if (!Array.isArray(value)) return undefined;
  let color = '#000000';
  let lineWidth = 1;
  for (const action of value) {
    if (!isAction(action)) return undefined;
    const [first, second] = action.data;
    if (action.method === 'setLineWidth' && isNumber(first) && first > 0) lineWidth = first;
    if (action.method === 'setStrokeStyle' && Array.isArray(second) && second.slice(0, 3).every(isNumber)) {
      color = `#${second.slice(0, 3).map(hex).join('')}`;
    }
    if (action.method !== 'strokePath') continue;
    const points = [];
    for (const step of action.data) {
      if (!isAction(step) || (step.method !== 'moveTo' && step.method !== 'lineTo')) continue;
      const [x, y] = step.data;
      if (isNumber(x) && isNumber(y)) points.push([x, y]);
    }
    if (points.length >= 2) return { points, color, lineWidth };
  }
  return undefined;
}

module.exports = { colorArray, toCanvasActions, fromCanvasActions };
