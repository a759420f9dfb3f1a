/**
 * 一笔到底's stroke: `[kind, x, y, t]` actions (docs/demos.md, "Drawings: one stroke as
 * actions"), what is checked before saving, and whether a loaded drawing can be replayed.
 */

const MIN_ACTIONS = 2;
const MAX_ACTIONS = 5000;
const MAX_SIDE = 4096;
const MAX_MS = 10 * 60 * 1000;

const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);

/**
 * Why a stroke cannot be saved, as the server's error code, or '' when it can.
 * @param {Array<[string, number, number, number]>} actions
 */
function saveProblem(actions) {
  if (actions.length < MIN_ACTIONS) return 'ERR_DEMO_EMPTY_STROKE';
  if (actions.length > MAX_ACTIONS) return 'ERR_DEMO_STROKE_TOO_LARGE';
  return '';
}

/**
 * Whether a drawing from the server is a stroke that replays: one pen down first, then lines,
 * within the canvas, time never going back. A drawing edited by hand may be none of that.
 * @param {{width: number, height: number, actions: unknown}} drawing
 */
function isReplayable(drawing) {
  if (!drawing || !Array.isArray(drawing.actions)) return false;
  const { width, height, actions } = drawing;
  if (!isNumber(width) || !isNumber(height) || width < 1 || height < 1) return false;
  if (width > MAX_SIDE || height > MAX_SIDE) return false;
  if (actions.length < MIN_ACTIONS || actions.length > MAX_ACTIONS) return false;
  let last = 0;
  for (let i = 0; i < actions.length; i += 1) {
    const action = actions[i];
    if (!Array.isArray(action) || action.length !== 4) return false;
    const [kind, x, y, t] = action;
    if (kind !== (i === 0 ? 'm' : 'l')) return false;
    if (!isNumber(x) || !isNumber(y) || !isNumber(t)) return false;
    if (x < 0 || x > width || y < 0 || y > height) return false;
    if (t < last || t > MAX_MS) return false;
    last = t;
  }
  return true;
}

/** A touch point in canvas CSS pixels, kept inside the canvas, to 0.1 px. */
function clampPoint(x, y, size) {
  const fit = (value, max) => Math.round(Math.min(Math.max(value, 0), max) * 10) / 10;
  return { x: fit(x, size.width), y: fit(y, size.height) };
}

module.exports = { MAX_ACTIONS, saveProblem, isReplayable, clampPoint };
