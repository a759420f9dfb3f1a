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

/** What the mini program's canvas `getActions()` gives for a short stroke, as it sends it. */
export function canvasActions(seed: number): string {
  return JSON.stringify([
    { method: 'save', data: [] },
    { method: 'moveTo', data: [seed, seed + 1] },
    { method: 'lineTo', data: [seed + 10, seed + 12] },
    { method: 'setStrokeStyle', data: ['#666666'] },
    { method: 'setLineWidth', data: [5] },
    { method: 'stroke', data: [] },
    { method: 'restore', data: [] },
  ]);
}

/** A JSON array of exactly `bytes` UTF-8 bytes. */
export function actionsOfSize(bytes: number): string {
  const head = canvasActions(1).slice(0, -1);
  return `${head},"${'x'.repeat(bytes - Buffer.byteLength(head) - ',""]'.length)}"]`;
}
