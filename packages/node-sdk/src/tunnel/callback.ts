import { parseMessage, type TunnelHandler } from '@hutong/core';
import type { TunnelEvent } from '@hutong/protocol';
import { checkTunnelSignature } from '@hutong/protocol/wafer-signature';

/** The Wafer SDKs' answers to a tunnel server callback (docs/protocols/tunnel.md#server-api). */
export const callbackErrors = {
  notJson: { code: 9001, message: 'Bad request - request data is not json' },
  missingFields: { code: 9002, message: 'Bad request - invalid request data' },
  badSignature: { code: 9003, message: 'Bad request - check signature failed' },
  badData: { code: 9004, message: 'Bad request - parse data failed' },
} as const;

export type CallbackResult =
  | { ok: true; event: TunnelEvent }
  | { ok: false; status: number; body: (typeof callbackErrors)[keyof typeof callbackErrors] };

/** Checks and decodes `{data, signature}` POSTed by the tunnel server to the receiveUrl. */
export function readCallback(body: unknown, key: string, checkSignature = true): CallbackResult {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return { ok: false, status: 400, body: callbackErrors.notJson };
    }
  }
  const { data, signature } = (value ?? {}) as { data?: unknown; signature?: unknown };
  if (typeof data !== 'string' || typeof signature !== 'string') {
    return { ok: false, status: 400, body: callbackErrors.missingFields };
  }
  if (checkSignature && !checkTunnelSignature(data, signature, key)) {
    return { ok: false, status: 400, body: callbackErrors.badSignature };
  }
  try {
    const event = JSON.parse(data) as TunnelEvent;
    if (typeof event?.tunnelId !== 'string' || typeof event.type !== 'string') throw new Error('shape');
    return { ok: true, event };
  } catch {
    return { ok: false, status: 200, body: callbackErrors.badData };
  }
}

/** `content` of a message event as the Wafer SDKs hand it to business code. */
export function decodePacketContent(content: string | undefined): {
  messageType: string;
  messageContent: unknown;
} {
  const { type, content: decoded } = parseMessage(content ?? '');
  return { messageType: type, messageContent: decoded };
}

export interface CallbackOptions {
  /** The tunnel signature key. */
  key: string;
  /** Default true. */
  checkSignature?: boolean;
}

/**
 * A receiveUrl endpoint without a framework: checks the callback, answers `{code: 0}` (or the
 * Wafer error with its status) and hands the event to `handler` — `onMessage` gets the decoded
 * type and content. The handler runs after the answer is decided, so a slow handler never delays
 * the tunnel server.
 */
export function handleTunnelCallback(
  body: unknown,
  handler: TunnelHandler,
  options: CallbackOptions,
): { status: number; body: { code: number; message: string } } {
  const result = readCallback(body, options.key, options.checkSignature ?? true);
  if (!result.ok) return { status: result.status, body: result.body };
  const { event } = result;
  queueMicrotask(() => {
    if (event.type === 'connect') void handler.onConnect?.(event.tunnelId);
    else if (event.type === 'close') void handler.onClose?.(event.tunnelId);
    else if (event.type === 'message') {
      const { messageType, messageContent } = decodePacketContent(event.content);
      void handler.onMessage?.(event.tunnelId, messageType, messageContent);
    }
  });
  return { status: 200, body: { code: 0, message: 'ok' } };
}

/** The body of a Node request, for frameworks that did not parse it (limit 1 MiB). */
export function readBody(
  req: NodeJS.ReadableStream & { body?: unknown },
  limit = 1024 * 1024,
): Promise<unknown> {
  if (req.body !== undefined) return Promise.resolve(req.body);
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) reject(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
