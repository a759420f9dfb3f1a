import { type ImWebhookCall, messageView } from '@hutong/core';
import { tunnelSignature } from '@hutong/protocol/wafer-signature';
import type { Logger } from 'pino';
import { type ImHooks, imHutongCodes, type LoginVerdict } from './im-hub.js';

export interface ImWebhookOptions {
  url: string;
  /** The signature key (the tunnel signature key). */
  key: string;
  /** Ask the webhook to verify logins (instead of Hutong sessions). */
  verify?: boolean;
  /** Ask the webhook before storing each message. */
  filter?: boolean;
  /** Per call. Default 5000 ms. */
  timeoutMs?: number;
  /** Waits before each retry of a notification. Default 0.2 s, 1 s, 3 s. */
  retryDelaysMs?: readonly number[];
  logger?: Logger;
}

/**
 * The IM server hooks as signed webhooks to the business server (split mode): login
 * verification and the per-message filter when enabled (answers awaited; a webhook that fails
 * refuses the login with 1027, or leaves the message unaccepted so the client resends), and
 * notifications (retried with backoff, then dropped with a log line).
 */
export function imWebhook(options: ImWebhookOptions): {
  verifyLogin?: (login: { userId: string; token: string; extra: string | null }) => Promise<LoginVerdict>;
  hooks: ImHooks;
} {
  const post = async (call: ImWebhookCall): Promise<unknown> => {
    const data = JSON.stringify(call);
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data, signature: tunnelSignature(data, options.key) }),
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
    });
    if (!response.ok) throw new Error(`the IM webhook answered ${response.status}`);
    return response.json().catch(() => ({}));
  };
  const notify = (call: ImWebhookCall) => {
    const delays = options.retryDelaysMs ?? [200, 1000, 3000];
    const attempt = (n: number): void => {
      post(call).catch((err: unknown) => {
        const delay = delays[n];
        if (delay === undefined) {
          options.logger?.warn({ err, kind: call.kind }, 'IM webhook notification dropped');
          return;
        }
        setTimeout(() => attempt(n + 1), delay).unref();
      });
    };
    attempt(0);
  };
  const hooks: ImHooks = {
    afterForward(message, recipients) {
      const wire = messageView(message);
      notify({ kind: 'forwarded', message: wire, recipients });
      const offline = recipients.filter((r) => !r.online).map((r) => r.userId);
      if (offline.length > 0) notify({ kind: 'stored-offline', message: wire, userIds: offline });
    },
    online: (userId, device) => notify({ kind: 'online', userId, device }),
    offline: (userId, device) => notify({ kind: 'offline', userId, device }),
  };
  if (options.filter) {
    hooks.beforeForward = async (message) => {
      const answer = (await post({ kind: 'filter', message })) as { allow?: unknown };
      return answer?.allow === true;
    };
  }
  if (!options.verify) return { hooks };
  return {
    hooks,
    verifyLogin: async ({ userId, token, extra }) => {
      try {
        const answer = (await post({ kind: 'verify', userId, token, extra })) as { code?: unknown };
        const code = typeof answer?.code === 'number' ? answer.code : imHutongCodes.verifyUnavailable;
        return code === 0 ? { ok: true } : { ok: false, code };
      } catch (err) {
        options.logger?.warn({ err }, 'IM login webhook failed');
        return { ok: false, code: imHutongCodes.verifyUnavailable };
      }
    },
  };
}
