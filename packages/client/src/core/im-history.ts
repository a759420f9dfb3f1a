import type { HutongClient } from './client.js';
import { RequestError } from './errors.js';
import { isRecord } from './im-wire.js';

/**
 * A message of `GET /im/history` (the server's view of a stored message): `ImMessageView` of
 * `@hutong/protocol/im`, written out for the published types (`test/wire-types.ts` checks they agree).
 */
export interface ImHistoryMessage {
  sid: number;
  seq: number;
  conv: string;
  from: string;
  to: string;
  fp: string | null;
  typeu: number;
  content: string;
  createdAt: number;
}

/** `GET /im/history`: a conversation's messages after `after`, oldest first, and read positions per user. */
export interface ImHistory {
  conv: string;
  messages: ImHistoryMessage[];
  reads: Record<string, number>;
}

export type ImConversation = { with: string } | { group: string };

/**
 * Which page: messages after seq `after` (forwards, the default from the start), or the latest
 * ones below seq `before` (backwards; `Number.MAX_SAFE_INTEGER` for the newest page). Oldest first
 * either way; at most `limit` (default 50, at most 200).
 */
export interface ImHistoryOptions {
  after?: number;
  before?: number;
  limit?: number;
}

/** The history URL beside an IM socket URL: `wss://h/im` → `https://h/im/history`. */
export function historyUrlOf(imUrl: string): string {
  const base = imUrl.replace(/^ws(s?):\/\//i, 'http$1://').replace(/[?#].*$/, '');
  return `${base.replace(/\/+$/, '')}/history`;
}

/** A conversation's history through the session (logs in first when there is none). */
export async function requestHistory(
  client: HutongClient,
  url: string,
  conversation: ImConversation,
  options: ImHistoryOptions = {},
): Promise<ImHistory> {
  const query = [
    'with' in conversation ? `with=${encodeURIComponent(conversation.with)}` : '',
    'group' in conversation ? `group=${encodeURIComponent(conversation.group)}` : '',
    options.after === undefined ? '' : `after=${options.after}`,
    options.before === undefined ? '' : `before=${options.before}`,
    options.limit === undefined ? '' : `limit=${options.limit}`,
  ].filter(Boolean);
  const response = await client.request({ url: `${url}?${query.join('&')}`, login: true });
  const { data } = response;
  if (response.statusCode === 200 && isRecord(data) && Array.isArray(data['messages'])) {
    return data as unknown as ImHistory;
  }
  const error = isRecord(data) && isRecord(data['error']) ? data['error'] : {};
  throw new RequestError(
    typeof error['code'] === 'string' ? error['code'] : 'ERR_IM_HISTORY',
    typeof error['message'] === 'string' ? error['message'] : `history: HTTP ${response.statusCode}`,
    response,
  );
}
