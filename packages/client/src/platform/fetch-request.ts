import type { PlatformRequest, PlatformResponse } from '../core/platform.js';

/** The part of `fetch` the client uses; browsers and Node 18+ both provide it. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: unknown },
) => Promise<{
  status: number;
  text(): Promise<string>;
  headers: { forEach(callback: (value: string, key: string) => void): void };
}>;

export interface AbortLike {
  readonly signal: unknown;
  abort(): void;
}

/** `Platform.request` on fetch: JSON bodies, a timeout, and the body parsed when it is JSON. */
export function fetchRequest(
  fetch: FetchLike,
  makeAbort: () => AbortLike,
  timers: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(handle: unknown): void },
) {
  return async (request: PlatformRequest): Promise<PlatformResponse> => {
    const headers: Record<string, string> = { ...request.header };
    let body: string | undefined;
    let url = request.url;
    if (request.data !== undefined && request.data !== null) {
      if (request.method === 'GET' || request.method === 'HEAD') {
        const query = toQuery(request.data);
        if (query) url += (url.includes('?') ? '&' : '?') + query;
      } else if (typeof request.data === 'string') body = request.data;
      else {
        body = JSON.stringify(request.data);
        headers['content-type'] ??= 'application/json';
      }
    }
    const abort = makeAbort();
    const timer = timers.setTimeout(() => abort.abort(), request.timeoutMs ?? 60_000);
    try {
      const response = await fetch(url, {
        method: request.method,
        headers,
        signal: abort.signal,
        ...(body === undefined ? {} : { body }),
      });
      const text = await response.text();
      const header: Record<string, string> = {};
      response.headers.forEach((value, key) => {
        header[key] = value;
      });
      return { statusCode: response.status, data: parseLoose(text), header };
    } finally {
      timers.clearTimeout(timer);
    }
  };
}

/** As `wx.request` with `dataType: 'json'`: parsed when it parses, the text otherwise. */
export function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toQuery(data: unknown): string {
  if (typeof data === 'string') return data;
  if (typeof data !== 'object' || data === null) return '';
  return Object.entries(data as Record<string, unknown>)
    .filter(([, value]) => value !== undefined)
    .map(
      ([key, value]) =>
        `${encodeURIComponent(key)}=${encodeURIComponent(typeof value === 'object' ? JSON.stringify(value) : String(value))}`,
    )
    .join('&');
}
