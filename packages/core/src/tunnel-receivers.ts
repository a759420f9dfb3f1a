import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { HutongError, type TunnelEvent } from '@hutong/protocol';
import { tunnelSignature } from '@hutong/protocol/wafer-signature';
import type { Logger } from './logger.js';

/** Business handlers called in-process (the dev stack, node-sdk in the same process). */
export interface TunnelHandler {
  onConnect?(tunnelId: string): unknown;
  /** `type` and `content` decoded from the client's `message:{"type","content"}`. */
  onMessage?(tunnelId: string, type: string, content: unknown): unknown;
  onClose?(tunnelId: string): unknown;
}

/**
 * Where a tunnel's events go. Guarantee: events of one tunnel are delivered one after another, in
 * the order they happened (connect, messages, close); delivery failures never reach the socket.
 */
export interface TunnelReceiver {
  deliver(event: TunnelEvent): Promise<void>;
}

export class HandlerReceiver implements TunnelReceiver {
  constructor(readonly handler: TunnelHandler) {}

  async deliver(event: TunnelEvent): Promise<void> {
    const { tunnelId } = event;
    if (event.type === 'connect') await this.handler.onConnect?.(tunnelId);
    else if (event.type === 'close') await this.handler.onClose?.(tunnelId);
    else {
      const message = parseMessage(event.content ?? '');
      await this.handler.onMessage?.(tunnelId, message.type, message.content);
    }
  }
}

/**
 * As the Wafer SDKs decode it: `type` from the JSON (else 'UnknownRaw'), `content` from the JSON
 * when it has that key, else the raw text.
 */
export function parseMessage(raw: string): { type: string; content: unknown } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { type: 'UnknownRaw', content: raw };
  }
  const packet = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const type = typeof packet['type'] === 'string' && packet['type'] ? packet['type'] : 'UnknownRaw';
  return { type, content: 'content' in packet ? packet['content'] : raw };
}

export interface WebhookOptions {
  key: string;
  /** Per attempt. Default 5000 ms. */
  timeoutMs?: number;
  /** Waits before each retry; its length is the number of retries. Default 0.2 s, 1 s, 3 s. */
  retryDelaysMs?: readonly number[];
  logger?: Logger;
  /** Counts events dropped after the last retry (metrics). */
  onDrop?: (event: TunnelEvent) => void;
  onRetry?: (event: TunnelEvent) => void;
}

/** What a failed request says about its cause: `ECONNREFUSED`, a TLS error code, `TimeoutError`… */
export function fetchFailure(error: unknown): { code: string; message: string } {
  const outer = error as { cause?: unknown; name?: unknown; message?: unknown } | null;
  // fetch (undici) wraps network errors: TypeError('fetch failed', {cause}); several addresses tried
  // give an AggregateError. node:http's errors carry their code themselves.
  let cause = (outer?.cause ?? error) as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
    errors?: unknown;
  };
  if (cause.code === undefined && Array.isArray(cause.errors) && cause.errors.length > 0) {
    cause = cause.errors[0] as typeof cause;
  }
  const code =
    typeof cause.code === 'string' ? cause.code : typeof cause.name === 'string' ? cause.name : 'Error';
  const message =
    typeof cause.message === 'string' && cause.message ? cause.message : String(outer?.message ?? '');
  return { code, message };
}

/**
 * Connections to business servers, kept open between webhooks: a busy tunnel server sends one per
 * tunnel event, and a new TCP (and TLS) handshake each would cost more than the event. At most 256
 * at once per business server; more requests wait for a free one.
 */
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' }),
};

class WebhookTimeout extends Error {
  override readonly name = 'TimeoutError';
  constructor(ms: number) {
    super(`The business server did not answer within ${ms} ms`);
  }
}

/**
 * One POST of `body` to `url`: resolves with the HTTP status (the answer's body is discarded), or
 * rejects with the network error (its `code`: ECONNREFUSED, a TLS code…) or a TimeoutError when no
 * answer came within `timeoutMs`. Redirects are statuses like any other: never followed.
 */
function post(url: URL, body: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, {
      method: 'POST',
      agent: agents[url.protocol as keyof typeof agents],
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const timer = setTimeout(() => request.destroy(new WebhookTimeout(timeoutMs)), timeoutMs);
    request.once('response', (response) => {
      clearTimeout(timer);
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(body);
  });
}

/**
 * Signed POSTs to the business server's `receiveUrl` (docs/protocols/tunnel.md#server-api): `{data, signature}` with
 * `signature = sha1(data + key)`. Network errors, timeouts and 5xx are retried with backoff; a 4xx
 * (the SDK refused the body) is not, nor is a 3xx: redirects are not followed, so an event never
 * goes anywhere but `receiveUrl`. After the last try the event is dropped with a log line (the
 * status, or the network error's code and message) and `deliver` rejects with ERR_TUNNEL_DELIVERY.
 * Connections are kept open between events (one pool per protocol). One receiver serves any number
 * of tunnels with the same `receiveUrl` and key.
 */
export class WebhookReceiver implements TunnelReceiver {
  readonly #target: URL;

  constructor(
    readonly url: string,
    private readonly options: WebhookOptions,
  ) {
    this.#target = new URL(url);
  }

  async deliver(event: TunnelEvent): Promise<void> {
    const data = JSON.stringify(event);
    const body = JSON.stringify({ data, signature: tunnelSignature(data, this.options.key) });
    const delays = this.options.retryDelaysMs ?? [200, 1000, 3000];
    for (let attempt = 0; ; attempt += 1) {
      let status = 0;
      let failure: { code: string; message: string } | undefined;
      try {
        status = await post(this.#target, body, this.options.timeoutMs ?? 5000);
        if (status >= 200 && status < 300) return;
      } catch (error) {
        status = 0;
        failure = fetchFailure(error);
      }
      // A redirect is as final as a refusal: following it could send the event anywhere.
      const permanent = status >= 300 && status < 500;
      const delay = delays[attempt];
      if (permanent || delay === undefined) {
        this.options.onDrop?.(event);
        this.options.logger?.warn(
          {
            tunnelId: event.tunnelId,
            type: event.type,
            status,
            ...(failure ? { error: failure } : {}),
            attempts: attempt + 1,
            receiver: this.url,
          },
          failure
            ? `tunnel event dropped: the business server could not be reached (${failure.code})`
            : 'tunnel event dropped: the business server did not take it',
        );
        throw new HutongError(
          'ERR_TUNNEL_DELIVERY',
          failure
            ? `The business server could not be reached (${failure.code}: ${failure.message})`
            : `The business server answered ${status}`,
        );
      }
      this.options.onRetry?.(event);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
