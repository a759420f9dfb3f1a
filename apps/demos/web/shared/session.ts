/**
 * The page's client: @hutong/client's core on the browser platform, logging in through the dev
 * stack's WeChat simulator (each browser profile is its own simulated user), and the demo API in
 * the Wafer 2 dialect with its errors as sentences in the page's language.
 */
import { createBrowserPlatform } from '@hutong/client/browser';
import { type BoundClient, createClient } from '@hutong/client/core';
import { displayName, hasKey, t } from './i18n.js';
import { toast } from './ui.js';

export const client: BoundClient = createClient({
  platform: createBrowserPlatform({ login: { simulator: `${location.origin}/__wx` } }),
  loginUrl: `${location.origin}/weapp/login`,
});

/** A failed demo call: the server's code (`ERR_DEMO_*`, `network`, …) and a sentence to show. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The sentence for a server error, in the page's language. */
function describe(code: string, message: string): string {
  const key = `error.${code}`;
  return hasKey(key) ? t(key, { message }) : t('error.generic', { message: message || code });
}

/**
 * A demo route (`/weapp…`) with the session: the client logs in when there is none, and once
 * again when the server says the session is no longer good (a stale tab), which the page notes.
 */
export async function api<T>(method: 'GET' | 'POST' | 'DELETE', path: string, data?: unknown): Promise<T> {
  const before = client.session.get()?.skey;
  let response: Awaited<ReturnType<BoundClient['request']>>;
  try {
    response = await client.request({
      url: `${location.origin}/weapp${path}`,
      method,
      login: true,
      ...(data === undefined ? {} : { data: data as Record<string, unknown> }),
    });
  } catch (error) {
    throw new ApiError('network', `${t('error.network')} (${(error as Error).message})`);
  }
  const after = client.session.get()?.skey;
  if (before && after && before !== after) toast(t('session.renewed'), 'warn', 6000);
  const body = response.data as {
    code?: number;
    data?: T;
    error?: { code?: string; message?: string };
  } | null;
  if (response.statusCode === 200 && body?.code === 0) return body.data as T;
  const code = body?.error?.code ?? `HTTP_${response.statusCode}`;
  throw new ApiError(code, describe(code, body?.error?.message ?? ''));
}

export interface Profile {
  openId: string;
  nickName: string;
}

/** This user's profile; the server's default name (用户 …) in the page's language. */
export async function loadProfile(): Promise<Profile> {
  const profile = await api<Profile>('GET', '/profile');
  return { ...profile, nickName: displayName(profile.nickName, profile.openId) };
}
