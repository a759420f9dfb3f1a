/// <reference types="miniprogram-api-typings" />
import type { LegacyUserData, Platform } from '../core/platform.js';

/** What the platform calls on `wx` (WeChat's own typings). */
export type WxLike = Pick<
  WechatMiniprogram.Wx,
  | 'request'
  | 'connectSocket'
  | 'getStorageSync'
  | 'setStorageSync'
  | 'removeStorageSync'
  | 'login'
  | 'getUserInfo'
  | 'checkSession'
  | 'onAppHide'
  | 'onAppShow'
  | 'onNetworkStatusChange'
> &
  Partial<Pick<WechatMiniprogram.Wx, 'offAppHide' | 'offAppShow' | 'offNetworkStatusChange'>>;

const errorOf = (result: { errMsg?: string }) => new Error(result?.errMsg ?? 'wx call failed');

/** Mini program host: `wx.request`, `SocketTask`, sync storage, `wx.login`, app and network events. */
export function createWxPlatform(api: WxLike = wx): Platform {
  return {
    request: (request) =>
      new Promise((resolve, reject) => {
        api.request({
          url: request.url,
          method: request.method as 'GET',
          header: request.header,
          ...(request.data === undefined ? {} : { data: request.data as string }),
          ...(request.timeoutMs === undefined ? {} : { timeout: request.timeoutMs }),
          dataType: 'json',
          success: (result) =>
            resolve({
              statusCode: result.statusCode,
              data: result.data,
              header: result.header as Record<string, string>,
            }),
          fail: (result) => reject(errorOf(result)),
        });
      }),
    connect: (url) => {
      const task = api.connectSocket({ url });
      return {
        send: (text) => void task.send({ data: text }),
        close: (code, reason) =>
          void task.close({
            ...(code === undefined ? {} : { code }),
            ...(reason === undefined ? {} : { reason }),
          }),
        onOpen: (listener) => task.onOpen(() => listener()),
        onMessage: (listener) => task.onMessage((result) => listener(result.data)),
        onClose: (listener) => task.onClose((result) => listener(result.code, result.reason)),
        onError: (listener) => task.onError((result) => listener(errorOf(result))),
      };
    },
    storage: {
      get: (key) => {
        const value: unknown = api.getStorageSync(key);
        return value === '' ? undefined : value;
      },
      set: (key, value) => api.setStorageSync(key, value),
      remove: (key) => api.removeStorageSync(key),
    },
    login: () =>
      new Promise((resolve, reject) => {
        api.login({ success: (result) => resolve(result.code), fail: (result) => reject(errorOf(result)) });
      }),
    getUserInfo: () =>
      new Promise<LegacyUserData>((resolve, reject) => {
        api.getUserInfo({
          success: (result) =>
            resolve({
              encryptedData: result.encryptedData,
              iv: result.iv,
              rawData: result.rawData,
              signature: result.signature,
              userInfo: result.userInfo as unknown as Record<string, unknown>,
            }),
          fail: (result) => reject(errorOf(result)),
        });
      }),
    checkSession: () =>
      new Promise((resolve) => {
        api.checkSession({ success: () => resolve(true), fail: () => resolve(false) });
      }),
    onAppHide: (listener) => {
      const fn = () => listener();
      api.onAppHide(fn);
      return () => api.offAppHide?.(fn);
    },
    onAppShow: (listener) => {
      const fn = () => listener();
      api.onAppShow(fn);
      return () => api.offAppShow?.(fn);
    },
    onNetworkChange: (listener) => {
      const fn = (result: WechatMiniprogram.OnNetworkStatusChangeListenerResult) =>
        listener(result.isConnected);
      api.onNetworkStatusChange(fn);
      return () =>
        api.offNetworkStatusChange?.(fn as unknown as WechatMiniprogram.OffNetworkStatusChangeCallback);
    },
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as number),
  };
}
