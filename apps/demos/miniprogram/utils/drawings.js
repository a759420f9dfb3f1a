/**
 * Where 一笔到底 keeps drawings, in the dialect `config.js` names:
 *
 * - `session: 'wafer2'` (default): Hutong's demo routes `/weapp/drawings…` through
 *   `@hutong/client`'s `request` (Wafer 2 session, docs/demos.md);
 * - `session: 'weapp-session'`: the original 一笔到底's routes `/applet/session/paints/list|save|
 *   delete` through `requestWithSession` (the code is the session, as weapp-session-client), each
 *   drawing saved as the original's canvas actions, so the original mini program and this one
 *   see the same paints.
 *
 * Both give the page `list()` → `[{id, title, points, createdAt}]`, `load(id)` → a drawing for
 * `isReplayable` (or null), `save(stroke)` and `remove(id)`.
 */
const hutong = require('@hutong/client');
const api = require('./api.js');
const { fromCanvasActions, toCanvasActions } = require('./canvas-actions.js');
const { serverUrl, session } = require('../config.js');

/** Replay pace of a paint from the original app, which records no times. */
const MS_PER_POINT = 12;

const wafer2 = {
  dialect: 'wafer2',
  list: async () => (await api.get('/weapp/drawings')).drawings,
  load: async (id) => (await api.get(`/weapp/drawings/${encodeURIComponent(id)}`)).drawing,
  save: async (stroke) => (await api.post('/weapp/drawings', stroke)).drawing.id,
  remove: (id) => api.del(`/weapp/drawings/${encodeURIComponent(id)}`),
};

/** An id for a new paint (the original made a uuid on the phone; any `[A-Za-z0-9_-]{1,64}` does). */
const newId = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;

function weappSession() {
  const base = `${serverUrl.replace(/\/+$/, '')}/applet/session/paints`;
  /** The original's answer: `{code: 0, data}`, or `{code: -1, error: {code, reason}}`. */
  async function call(path, data) {
    let response;
    try {
      response = await hutong.requestWithSession({
        url: `${base}/${path}`,
        method: data ? 'POST' : 'GET',
        ...(data ? { data } : {}),
      });
    } catch (error) {
      throw new api.DemoError(error.type || 'ERR_NETWORK', error.message);
    }
    const body = response.data || {};
    if (body.code === 0) return body.data;
    const error = body.error || {};
    throw new api.DemoError(error.code || `HTTP_${response.statusCode}`, error.reason || '');
  }
  /** Paints as the list returned them: the original has no route for one paint. */
  let paints = new Map();
  return {
    dialect: 'weapp-session',
    async list() {
      const list = (await call('list')) || [];
      paints = new Map();
      return list.map(({ id, actions }) => {
        let line;
        try {
          line = fromCanvasActions(JSON.parse(actions));
        } catch (_error) {
          line = undefined;
        }
        paints.set(id, line);
        return { id, title: '', points: line ? line.points.length : 0, createdAt: 0 };
      });
    },
    async load(id) {
      const line = paints.get(id);
      if (!line) return null;
      // The drawing's box is where its points are; the page scales it to its canvas.
      const width = Math.max(1, Math.ceil(Math.max(...line.points.map(([x]) => x))));
      const height = Math.max(1, Math.ceil(Math.max(...line.points.map(([, y]) => y))));
      const actions = line.points.map(([x, y], i) => [
        i === 0 ? 'm' : 'l',
        Math.max(0, x),
        Math.max(0, y),
        i * MS_PER_POINT,
      ]);
      return { id, title: '', width, height, color: line.color, lineWidth: line.lineWidth, actions };
    },
    async save(stroke) {
      const id = newId();
      const points = stroke.actions.map(([, x, y]) => [x, y]);
      const actions = toCanvasActions({ points, color: stroke.color, lineWidth: stroke.lineWidth });
      await call('save', { id, actions: JSON.stringify(actions) });
      return id;
    },
    remove: (id) => call('delete', { id }),
  };
}

module.exports = session === 'weapp-session' ? weappSession() : wafer2;
