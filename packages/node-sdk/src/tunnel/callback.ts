import type { TunnelEvent } from '@hutong/protocol';
import { checkTunnelSignature } from '@hutong/protocol/wafer-signature';
import { parseMessage } from '@hutong/server';

/** The Wafer SDKs' answers to a tunnel server callback (PROTOCOLS.md §4). */
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
