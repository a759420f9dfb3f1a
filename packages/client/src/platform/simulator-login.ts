import type { LegacyUserData, Platform, PlatformStorage } from '../core/platform.js';
import type { FetchLike } from './fetch-request.js';

const OPENID_KEY = 'hutong_sim_openid';

export interface SimulatorOptions {
  /** Where the simulator is mounted, e.g. `http://127.0.0.1:5757/__wx`. */
  simulator: string;
  appid?: string;
  /** Log in as this user; default: the one this storage remembers, else a new one. */
  openid?: string;
  /** The profile `getUserInfo` reports (default: the simulator's for the user). */
  userInfo?: { nickName?: string; avatarUrl?: string };
}

/**
 * `login` and `getUserInfo` for hosts without WeChat (browsers, Node): asks the WeChat simulator
 * for a code, as a phone would get from `wx.login`, and for the user data `wx.getUserInfo` gives
 * (signed and encrypted with the session_key of the last code, as WeChat's). The user is
 * remembered in `storage`, so the same browser stays the same user.
 */
export function simulatorDevice(
  fetch: FetchLike,
  storage: PlatformStorage,
  options: SimulatorOptions,
): Required<Pick<Platform, 'login' | 'getUserInfo'>> {
  const base = options.simulator.replace(/\/+$/, '');
  let lastCode: string | undefined;

  async function device<T>(path: string, body: object): Promise<T> {
    const response = await fetch(`${base}/sim/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    const json = JSON.parse(text) as T & { errmsg?: unknown };
    if (response.status !== 200)
      throw new Error(`simulator ${path} failed: ${String(json.errmsg ?? response.status)}`);
    return json;
  }

  return {
    async login() {
      const known = options.openid ?? storage.get(OPENID_KEY);
      const body = await device<{ code?: unknown; openid?: unknown }>('login', {
        ...(typeof known === 'string' && known ? { openid: known } : {}),
        ...(options.appid ? { appid: options.appid } : {}),
      });
      if (typeof body.code !== 'string') throw new Error('simulator login failed: no code');
      if (typeof body.openid === 'string') storage.set(OPENID_KEY, body.openid);
      lastCode = body.code;
      return body.code;
    },
    async getUserInfo() {
      if (!lastCode) throw new Error('getUserInfo:fail not logged in, call login first');
      return device<LegacyUserData>('userinfo', {
        code: lastCode,
        ...(options.appid ? { appid: options.appid } : {}),
        ...(options.userInfo ? { userInfo: options.userInfo } : {}),
      });
    },
  };
}
