import type { PlatformStorage } from '../core/platform.js';
import type { FetchLike } from './fetch-request.js';

const OPENID_KEY = 'hutong_sim_openid';

/**
 * A `login` for hosts without WeChat (browsers, Node): asks the WeChat simulator for a code, as a
 * phone would get from `wx.login`. The user is remembered in `storage`, so the same browser stays
 * the same user. `baseUrl` is where the simulator is mounted, e.g. `http://127.0.0.1:5757/__wx`.
 */
export function simulatorLogin(
  fetch: FetchLike,
  baseUrl: string,
  storage: PlatformStorage,
  options: { appid?: string; openid?: string } = {},
): () => Promise<string> {
  return async () => {
    const known = options.openid ?? storage.get(OPENID_KEY);
    const response = await fetch(`${baseUrl.replace(/\/+$/, '')}/sim/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...(typeof known === 'string' && known ? { openid: known } : {}),
        ...(options.appid ? { appid: options.appid } : {}),
      }),
    });
    const text = await response.text();
    const body = JSON.parse(text) as { code?: unknown; openid?: unknown; errmsg?: unknown };
    if (response.status !== 200 || typeof body.code !== 'string') {
      throw new Error(`simulator login failed: ${String(body.errmsg ?? response.status)}`);
    }
    if (typeof body.openid === 'string') storage.set(OPENID_KEY, body.openid);
    return body.code;
  };
}
