import { callApi, type WxCallbacks, WxFailure, type WxResult } from './wx-callbacks.js';

/** WeChat's client limits (research B1): 10 requests in flight, the rest queued; 60 s timeout. */
export const MAX_CONCURRENT_REQUESTS = 10;
export const REQUEST_TIMEOUT_MS = 60_000;

export interface RequestSuccess extends WxResult {
  data: unknown;
  statusCode: number;
  header: Record<string, string>;
  cookies: string[];
}

export interface RequestOptions extends WxCallbacks<RequestSuccess> {
  url: string;
  data?: unknown;
  header?: Record<string, unknown>;
  method?: string;
  /** 'json' (default) parses the body when it is JSON and keeps the text otherwise. */
  dataType?: string;
  responseType?: 'text' | 'arraybuffer';
  timeout?: number;
}

export interface RequestTask {
  abort(): void;
}

/** Hands out request slots in arrival order. */
class Slots {
  #free = MAX_CONCURRENT_REQUESTS;
  readonly #waiting: Array<() => void> = [];

  async acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new WxFailure('abort');
    if (this.#free > 0) {
      this.#free -= 1;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', cancel);
        resolve();
      };
      const cancel = () => {
        this.#waiting.splice(this.#waiting.indexOf(grant), 1);
        reject(new WxFailure('abort'));
      };
      signal.addEventListener('abort', cancel, { once: true });
      this.#waiting.push(grant);
    });
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free += 1;
  }
}

const encodePair = (key: string, value: unknown): string =>
  `${encodeURIComponent(key)}=${encodeURIComponent(typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value))}`;

/** WeChat turns object data into `k=v&…` for GET and for form bodies. */
function toQuery(data: unknown): string {
  if (data === undefined || data === null) return '';
  if (typeof data !== 'object') return String(data);
  return Object.entries(data as Record<string, unknown>)
    .map(([key, value]) => encodePair(key, value))
    .join('&');
}

function toBody(data: unknown, contentType: string): string | ArrayBuffer | undefined {
  if (data === undefined) return undefined;
  if (typeof data === 'string' || data instanceof ArrayBuffer) return data;
  if (contentType.toLowerCase().includes('application/x-www-form-urlencoded')) return toQuery(data);
  return JSON.stringify(data);
}

function parseJsonLoose(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

async function perform(
  options: RequestOptions,
  signal: AbortSignal,
): Promise<Omit<RequestSuccess, 'errMsg'>> {
  const method = (options.method ?? 'GET').toUpperCase();
  const headers = new Headers();
  for (const [name, value] of Object.entries(options.header ?? {})) {
    if (value !== undefined && value !== null) headers.set(name, String(value));
  }
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new WxFailure(`invalid url "${String(options.url)}"`);
  }
  let body: string | ArrayBuffer | undefined;
  if (method === 'GET' || method === 'HEAD') {
    const query = toQuery(options.data);
    if (query) url.search = url.search ? `${url.search}&${query}` : `?${query}`;
  } else {
    body = toBody(options.data, headers.get('content-type') ?? '');
  }
  const response = await fetch(url, { method, headers, signal, ...(body === undefined ? {} : { body }) });
  const header = Object.fromEntries(response.headers);
  const cookies = response.headers.getSetCookie();
  const data =
    options.responseType === 'arraybuffer'
      ? await response.arrayBuffer()
      : (options.dataType ?? 'json') === 'json'
        ? parseJsonLoose(await response.text())
        : await response.text();
  return { data, statusCode: response.status, header, cookies };
}

/** `wx.request` on fetch: no cookie jar (as on WeChat), a queue beyond 10, abort and timeout. */
export function createRequest(online: () => boolean = () => true): (options: RequestOptions) => RequestTask {
  const slots = new Slots();
  return (options) => {
    const controller = new AbortController();
    let timedOut = false;
    void callApi('request', options, async () => {
      if (!online()) throw new WxFailure('network unavailable');
      await slots.acquire(controller.signal);
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, options.timeout ?? REQUEST_TIMEOUT_MS);
      try {
        return await perform(options, controller.signal);
      } catch (error) {
        if (timedOut) throw new WxFailure('timeout');
        if (controller.signal.aborted) throw new WxFailure('abort');
        throw error;
      } finally {
        clearTimeout(timer);
        slots.release();
      }
    });
    return { abort: () => controller.abort() };
  };
}
