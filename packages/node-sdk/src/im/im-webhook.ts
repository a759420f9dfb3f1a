import type { ImWebhookCall } from '@hutong/core';
import { checkTunnelSignature } from '@hutong/protocol/wafer-signature';

type Awaitable<T> = T | Promise<T>;
type Notification = Exclude<ImWebhookCall, { kind: 'verify' } | { kind: 'filter' }>;

/** What the business server does with Hutong's IM webhook calls. */
export interface ImWebhookHandlers {
  /** A login: true or 0 accepts; false refuses with 1025; another number refuses with that code (> 1024). */
  verifyLogin?(login: { userId: string; token: string; extra: string | null }): Awaitable<boolean | number>;
  /** Before a message is stored: false refuses it (the sender gets error 1403). */
  beforeForward?(message: Extract<ImWebhookCall, { kind: 'filter' }>['message']): Awaitable<boolean>;
  /** Forwarded, stored for offline users, user online/offline. Runs after the answer is sent. */
  onEvent?(event: Notification): void;
}

/**
 * The IM webhook endpoint without a framework: checks `{data, signature}` against `key`, answers
 * verification and filter calls with the handlers' verdicts (`{code}`, `{allow}`) and
 * notifications at once with `{code: 0}`. A bad signature is 401, a malformed body 400.
 */
export async function handleImWebhook(
  body: unknown,
  handlers: ImWebhookHandlers,
  options: { key: string },
): Promise<{ status: number; body: Record<string, unknown> }> {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return { status: 400, body: { code: 400, message: 'not JSON' } };
    }
  }
  const { data, signature } = (value ?? {}) as { data?: unknown; signature?: unknown };
  if (typeof data !== 'string' || typeof signature !== 'string') {
    return { status: 400, body: { code: 400, message: 'expected {data, signature}' } };
  }
  if (!checkTunnelSignature(data, signature, options.key)) {
    return { status: 401, body: { code: 401, message: 'bad signature' } };
  }
  let call: ImWebhookCall;
  try {
    call = JSON.parse(data) as ImWebhookCall;
    if (typeof call?.kind !== 'string') throw new Error('shape');
  } catch {
    return { status: 400, body: { code: 400, message: 'data is not an IM webhook call' } };
  }
  if (call.kind === 'verify') {
    if (!handlers.verifyLogin) return { status: 200, body: { code: 1025 } };
    const verdict = await handlers.verifyLogin({ userId: call.userId, token: call.token, extra: call.extra });
    const code = verdict === true || verdict === 0 ? 0 : typeof verdict === 'number' ? verdict : 1025;
    return { status: 200, body: { code } };
  }
  if (call.kind === 'filter') {
    const allow = handlers.beforeForward ? (await handlers.beforeForward(call.message)) === true : true;
    return { status: 200, body: { allow } };
  }
  queueMicrotask(() => handlers.onEvent?.(call as Notification));
  return { status: 200, body: { code: 0 } };
}
