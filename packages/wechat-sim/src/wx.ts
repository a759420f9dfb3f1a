import type { WxErrorBody } from './errmsg.js';
import type { SimUserData } from './user-data.js';
import { callApi, type WxCallbacks, WxFailure, type WxResult } from './wx-callbacks.js';
import { createRequest } from './wx-request.js';
import { SocketHub } from './wx-socket.js';
import { MemoryStorage } from './wx-storage.js';
import type { CreateWxOptions, SimWx } from './wx-types.js';

/**
 * A `wx` for Node, backed by the simulator's device API: set it as `globalThis.wx` before
 * loading a Wafer client SDK and the SDK runs unchanged. One `wx` is one phone with one user.
 */
export function createWx(options: CreateWxOptions): SimWx {
  const base = options.baseUrl.replace(/\/+$/, '');
  const storage = options.storage ?? new MemoryStorage();
  const sockets = new SocketHub();
  const phone = { appid: options.appid, openid: options.openid, code: undefined as string | undefined };
  const lifecycle = {
    show: new Set<(result: Record<string, unknown>) => void>(),
    hide: new Set<(result: Record<string, unknown>) => void>(),
    network: new Set<(result: { isConnected: boolean; networkType: string }) => void>(),
  };
  const networkType = () => (sockets.online ? 'wifi' : 'none');
  const notify = <T>(listeners: Set<(result: T) => void>, result: T) => {
    for (const listener of [...listeners]) listener(result);
  };

  async function device<T>(path: string, body: object): Promise<T> {
    const response = await fetch(`${base}/sim/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as T & Partial<WxErrorBody>;
    if (!response.ok) throw new WxFailure(json.errmsg ?? `HTTP ${response.status}`);
    return json;
  }

  const lastCode = (): string => {
    if (phone.code === undefined) throw new WxFailure('not logged in, call wx.login first');
    return phone.code;
  };

  async function userData(kind: 'userInfo' | 'profile'): Promise<SimUserData> {
    return device<SimUserData>('userinfo', {
      code: lastCode(),
      appid: phone.appid,
      kind,
      ...(options.userInfo ? { userInfo: options.userInfo } : {}),
    });
  }

  const done = async () => ({});
  /** A synchronous storage step as an asynchronous API body. */
  const effect = (fn: () => void) => async () => {
    fn();
    return {};
  };
  const syncCall = <T>(api: string, fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      throw error instanceof WxFailure ? new Error(`${api}:fail ${error.message}`) : error;
    }
  };

  const wx: SimWx = {
    login: (opts) =>
      callApi('login', opts, async () => {
        const result = await device<{ code: string; openid: string; appid: string }>('login', {
          appid: phone.appid,
          openid: phone.openid,
        });
        Object.assign(phone, result);
        return { code: result.code };
      }),
    checkSession: (opts) =>
      callApi('checkSession', opts, async () => {
        const code = phone.code;
        const alive = code
          ? await device<{ valid: boolean }>('checksession', { code, appid: phone.appid })
          : undefined;
        if (!alive?.valid) throw new WxFailure('session time out, need relogin');
        return {};
      }),
    getUserInfo: (opts) => callApi('getUserInfo', opts, () => userData('userInfo')),
    getUserProfile: (opts) =>
      callApi('getUserProfile', opts, async () => {
        const { encryptData: _legacy, ...data } = await userData('profile');
        return data;
      }),

    request: createRequest(() => sockets.online),

    connectSocket: (opts) => sockets.connect(opts),
    onSocketOpen: (listener) => void sockets.global.open.add(listener),
    onSocketMessage: (listener) => void sockets.global.message.add(listener),
    onSocketClose: (listener) => void sockets.global.close.add(listener),
    onSocketError: (listener) => void sockets.global.error.add(listener),
    sendSocketMessage: (opts) =>
      callApi('sendSocketMessage', opts, async () => {
        if (!sockets.latest) throw new WxFailure('WebSocket is not connected');
        await sockets.latest.sendNow(opts.data);
        return {};
      }),
    closeSocket: (opts = {}) =>
      callApi('closeSocket', opts, async () => {
        if (!sockets.latest) throw new WxFailure('WebSocket is not connected');
        await sockets.latest.closeNow(opts.code, opts.reason);
        return {};
      }),

    setStorageSync: (key, data) => syncCall('setStorageSync', () => storage.set(key, data)),
    getStorageSync: (key) =>
      syncCall('getStorageSync', () => {
        const { found, value } = storage.get(key);
        return found ? value : '';
      }),
    removeStorageSync: (key) => syncCall('removeStorageSync', () => storage.remove(key)),
    clearStorageSync: () => storage.clear(),
    getStorageInfoSync: () => storage.info(),
    setStorage: (opts) =>
      callApi(
        'setStorage',
        opts,
        effect(() => storage.set(opts.key, opts.data)),
      ),
    getStorage: <T>(opts: { key: string } & WxCallbacks<WxResult & { data: T }>) =>
      callApi<WxResult & { data: T }>('getStorage', opts, async () => {
        const { found, value } = storage.get(opts.key);
        if (!found) throw new WxFailure('data not found');
        return { data: value as T };
      }),
    removeStorage: (opts) =>
      callApi(
        'removeStorage',
        opts,
        effect(() => storage.remove(opts.key)),
      ),
    clearStorage: (opts) =>
      callApi(
        'clearStorage',
        opts,
        effect(() => storage.clear()),
      ),

    onAppShow: (listener) => void lifecycle.show.add(listener),
    offAppShow: (listener) => void lifecycle.show.delete(listener),
    onAppHide: (listener) => void lifecycle.hide.add(listener),
    offAppHide: (listener) => void lifecycle.hide.delete(listener),
    onNetworkStatusChange: (listener) => void lifecycle.network.add(listener),
    offNetworkStatusChange: (listener) => void lifecycle.network.delete(listener),
    getNetworkType: (opts) => callApi('getNetworkType', opts, async () => ({ networkType: networkType() })),

    showToast: (opts) => callApi('showToast', opts, done),
    showLoading: (opts) => callApi('showLoading', opts, done),
    hideLoading: (opts) => callApi('hideLoading', opts, done),
    showModal: (opts) => callApi('showModal', opts, async () => ({ confirm: true, cancel: false })),

    sim: {
      get appid() {
        return phone.appid;
      },
      get openid() {
        return phone.openid;
      },
      get code() {
        return phone.code;
      },
      storage,
      terminateSockets: () => sockets.terminateAll(),
      hide: () => {
        notify(lifecycle.hide, {});
        sockets.suspend(true);
      },
      show: () => {
        sockets.suspend(false);
        notify(lifecycle.show, { scene: 1001 });
      },
      setOnline: (online: boolean) => {
        if (sockets.online === online) return;
        sockets.online = online;
        if (!online) sockets.terminateAll();
        notify(lifecycle.network, { isConnected: online, networkType: networkType() });
      },
    },
  };
  return wx;
}

export type { SimWx } from './wx-types.js';
