/**
 * Where the page keeps drawings, in one of two dialects:
 *
 * - `wafer` (default): Hutong's demo routes (`/weapp/drawings…`, Wafer 2 session, docs/demos.md);
 * - `weapp-session` (`?session=weapp-session`): the original 一笔到底's routes
 *   (`/applet/session/paints/list|save|delete`) with the client in the weapp-session dialect, the
 *   drawing saved as the original mini program's canvas actions — so its paints show up here and
 *   this page's show up there.
 */
import { createBrowserPlatform } from '@hutong/client/browser';
import { createClient, weappSessionDialect } from '@hutong/client/core';
import { fromCanvasActions, toCanvasActions } from '@hutong/demos/canvas-actions';
import type { DrawingSummary, StrokeAction } from '@hutong/demos/drawing';
import { t } from '../shared/i18n.js';
import { ApiError, api } from '../shared/session.js';

/** A stored drawing ready to replay; `actions` is unchecked (null when not JSON). */
export interface Drawing extends DrawingSummary {
  color: string;
  lineWidth: number;
  actions: unknown;
}

export interface NewStroke {
  title: string;
  width: number;
  height: number;
  color: string;
  lineWidth: number;
  actions: StrokeAction[];
}

export interface DrawingsApi {
  readonly dialect: 'wafer' | 'weapp-session';
  /** Newest first; `createdAt` is 0 where the dialect keeps no time. */
  list(): Promise<DrawingSummary[]>;
  load(summary: DrawingSummary): Promise<Drawing>;
  save(stroke: NewStroke): Promise<void>;
  remove(id: string): Promise<void>;
}

const wafer: DrawingsApi = {
  dialect: 'wafer',
  list: async () => (await api<{ drawings: DrawingSummary[] }>('GET', '/drawings')).drawings,
  load: async (summary) =>
    (await api<{ drawing: Drawing }>('GET', `/drawings/${encodeURIComponent(summary.id)}`)).drawing,
  save: async (stroke) => void (await api('POST', '/drawings', stroke)),
  remove: async (id) => void (await api('DELETE', `/drawings/${encodeURIComponent(id)}`)),
};

/** Replay pace of a paint from the original app, which records no times. */
const MS_PER_POINT = 12;

function original(width: number, height: number): DrawingsApi {
  const client = createClient({
    platform: createBrowserPlatform({ login: { simulator: `${location.origin}/__wx` } }),
    dialect: weappSessionDialect,
  });
  const base = `${location.origin}/applet/session/paints`;
  /** The original's answer: `{code: 0, data}`, or `{code: -1, error: {code, reason}}`. */
  async function call<T>(path: string, data?: object): Promise<T> {
    let response: Awaited<ReturnType<typeof client.request>>;
    try {
      response = await client.request({
        url: `${base}/${path}`,
        method: data ? 'POST' : 'GET',
        ...(data ? { data } : {}),
      });
    } catch (error) {
      throw new ApiError('network', `${t('error.network')} (${(error as Error).message})`);
    }
    const body = response.data as { code?: number; data?: T; error?: { code?: string; reason?: string } };
    if (body?.code === 0) return body.data as T;
    const code = body?.error?.code ?? `HTTP_${response.statusCode}`;
    throw new ApiError(code, t('error.generic', { message: body?.error?.reason ?? code }));
  }
  /** Paints as the list returned them, for `load` (the original has no route for one paint). */
  const paints = new Map<string, unknown>();
  return {
    dialect: 'weapp-session',
    async list() {
      const list = await call<{ id: string; actions: string }[]>('list');
      paints.clear();
      return list.map(({ id, actions }) => {
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(actions);
        } catch {}
        paints.set(id, parsed);
        return {
          id,
          title: '',
          width,
          height,
          points: fromCanvasActions(parsed)?.points.length ?? 0,
          createdAt: 0,
        };
      });
    },
    async load(summary) {
      const line = fromCanvasActions(paints.get(summary.id));
      const base = { ...summary, color: line?.color ?? '#000000', lineWidth: line?.lineWidth ?? 1 };
      if (!line) return { ...base, actions: null };
      // The original drew in phone pixels: shrink what does not fit, never enlarge.
      const maxX = Math.max(...line.points.map(([x]) => x));
      const maxY = Math.max(...line.points.map(([, y]) => y));
      const scale = Math.min(1, maxX > 0 ? width / maxX : 1, maxY > 0 ? height / maxY : 1);
      const at = (v: number) => Math.max(0, v * scale);
      const actions = line.points.map(
        ([x, y], i): StrokeAction => [i === 0 ? 'm' : 'l', at(x), at(y), i * MS_PER_POINT],
      );
      return { ...base, actions };
    },
    async save(stroke) {
      const points = stroke.actions.map(([, x, y]): [number, number] => [x, y]);
      const actions = toCanvasActions({ points, color: stroke.color, lineWidth: stroke.lineWidth });
      await call('save', { id: crypto.randomUUID(), actions: JSON.stringify(actions) });
    },
    remove: async (id) => void (await call('delete', { id })),
  };
}

/** The page's dialect, from `?session=`. */
export function drawingsApi(width: number, height: number): DrawingsApi {
  return new URLSearchParams(location.search).get('session') === 'weapp-session'
    ? original(width, height)
    : wafer;
}
