import type { DevStack } from '../src/stack.js';
import { simDevice } from './stack-fixture.js';

/** weapp-session's magic key: its own error bodies carry it. */
export const WEAPP_SESSION_MAGIC = 'F2C224D4-2BCE-4C64-AF9F-A6D872000D1A';

export interface Answer {
  status: number;
  body: any;
}

/** A request with no session headers: what a client without a code sends. */
export async function plain(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json() };
}

export interface SeedPhone {
  openid: string;
  code: string;
  /**
   * A request as the seed mini program makes it (written from the weapp-session protocol, not
   * from a client SDK): its first request carries `X-WX-Code`, `X-WX-RawData` (URI-encoded) and
   * `X-WX-Signature`, later ones the code alone. An object body is sent as JSON, a string as is
   * (labelled JSON), URLSearchParams as a form.
   */
  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer>;
}

/** A phone of the seed app on the simulator, talking to `<stack>/<base>/session/paints`. */
export async function seedPhone(stack: DevStack, base: string, openid?: string): Promise<SeedPhone> {
  const { code, openid: id } = await simDevice(stack, 'login', openid ? { openid } : {});
  const info = await simDevice(stack, 'userinfo', {
    code,
    userInfo: { nickName: '一笔', avatarUrl: 'https://example.com/a.png' },
  });
  let first = true;
  return {
    openid: id!,
    code: code!,
    request(method, path, body) {
      const headers: Record<string, string> = first
        ? {
            'x-wx-code': code!,
            'x-wx-rawdata': encodeURIComponent(info['rawData']!),
            'x-wx-signature': info['signature']!,
          }
        : { 'x-wx-code': code! };
      first = false;
      let payload: string | URLSearchParams | undefined;
      if (body instanceof URLSearchParams) payload = body;
      else if (body !== undefined) {
        headers['content-type'] = 'application/json';
        payload = typeof body === 'string' ? body : JSON.stringify(body);
      }
      return plain(`${stack.url}${base}/session/paints${path}`, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
      });
    },
  };
}

/**
 * A stroke as the original mini program's canvas gives it (`wx.createContext()`: save, moveTo,
 * lineTo…, setStrokeStyle, setLineWidth, stroke, restore, then `getActions()`), written out from
 * the base library's format rather than by Hutong's converter: a color is `['normal', [r, g, b, a]]`
 * and the path goes inside `strokePath`.
 */
export function originalStroke(
  points: [number, number][],
  rgb: [number, number, number] = [102, 102, 102],
  lineWidth = 5,
) {
  return [
    { method: 'save', data: [] },
    { method: 'setStrokeStyle', data: ['normal', [...rgb, 255]] },
    { method: 'setLineWidth', data: [lineWidth] },
    {
      method: 'strokePath',
      data: points.map(([x, y], i) => ({ method: i === 0 ? 'moveTo' : 'lineTo', data: [x, y] })),
    },
    { method: 'restore', data: [] },
  ];
}

/**
 * The original mini program, logged in as `openid` (a new login: the user's earlier code ends),
 * saves the paint `id`: a stroke through `points` in `rgb`, 5 px. Resolves with its phone.
 */
export async function originalSaves(
  stack: DevStack,
  openid: string,
  id: string,
  points: [number, number][],
  rgb: [number, number, number],
): Promise<SeedPhone> {
  const phone = await seedPhone(stack, '/applet', openid);
  const saved = await phone.request('POST', '/save', {
    id,
    actions: JSON.stringify(originalStroke(points, rgb)),
  });
  if (saved.body?.code !== 0)
    throw new Error(`the original app's save failed: ${JSON.stringify(saved.body)}`);
  return phone;
}

/** A short stroke's actions as the mini program sends them (`JSON.stringify`), by `seed`. */
export function canvasActions(seed: number): string {
  return JSON.stringify(
    originalStroke([
      [seed, seed + 1],
      [seed + 10, seed + 12],
    ]),
  );
}

/** A JSON array of exactly `bytes` UTF-8 bytes. */
export function actionsOfSize(bytes: number): string {
  const head = canvasActions(1).slice(0, -1);
  return `${head},"${'x'.repeat(bytes - Buffer.byteLength(head) - ',""]'.length)}"]`;
}
