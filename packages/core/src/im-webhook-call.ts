import type { MessageView } from './message-store.js';

/**
 * What Hutong POSTs to the business server's IM webhook, as `{data, signature}` with
 * `signature = sha1(data + key)` (the Wafer tunnel callback format). `data` is one of these, as JSON.
 */
export type ImWebhookCall =
  /** Answer `{"code": 0}` to accept the login, or a code above 1024 to refuse it. */
  | { kind: 'verify'; userId: string; token: string; extra: string | null }
  /** Answer `{"allow": true}` to store and forward the message. */
  | { kind: 'filter'; message: { from: string; to: string; group: boolean; typeu: number; content: string } }
  /** Notifications; the answer does not matter (2xx, or it is retried). */
  | { kind: 'forwarded'; message: WebhookMessage; recipients: { userId: string; online: boolean }[] }
  | { kind: 'stored-offline'; message: WebhookMessage; userIds: string[] }
  | { kind: 'online' | 'offline'; userId: string; device: string };

export type WebhookMessage = MessageView;
