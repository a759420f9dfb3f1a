import type { WxProfile } from '@hutong/protocol';
import type { SimUserData } from './user-data.js';
import type { WxCallbacks, WxResult } from './wx-callbacks.js';
import type { RequestOptions, RequestTask } from './wx-request.js';
import type { ConnectSocketOptions, SocketListeners, SocketTask } from './wx-socket.js';
import type { MemoryStorage } from './wx-storage.js';

export interface CreateWxOptions {
  /** Where the simulator is mounted, e.g. `http://127.0.0.1:5757/__wx`. */
  baseUrl: string;
  /** The mini program's app; default: the simulator's first app. */
  appid?: string;
  /** Be this user; default: a new user on the first `login`, kept for later calls. */
  openid?: string;
  /** Reuse a storage to simulate a restart with data kept; default: a new, empty one. */
  storage?: MemoryStorage;
  /** The profile `getUserInfo` reports (stored on the simulated user). */
  userInfo?: WxProfile;
}

export interface LoginResult extends WxResult {
  code: string;
}

/** What `getUserInfo` gives: the simulator's user data, in WeChat's result shape. */
export interface UserInfoResult extends WxResult, SimUserData {}

export interface ModalResult extends WxResult {
  confirm: boolean;
  cancel: boolean;
}

type Options<R extends WxResult = WxResult> = WxCallbacks<R> & Record<string, unknown>;

/**
 * The `wx` object `createWx` returns: what the Wafer client SDKs call, and the usual helpers.
 * Asynchronous APIs take WeChat's callbacks and also return a promise of the same result.
 */
export interface SimWx {
  login(options?: Options<LoginResult>): Promise<LoginResult>;
  checkSession(options?: Options): Promise<WxResult>;
  getUserInfo(options?: Options<UserInfoResult>): Promise<UserInfoResult>;
  /** As getUserInfo, but the encrypted part has no openId/unionId (modern WeChat). */
  getUserProfile(
    options?: Options<Omit<UserInfoResult, 'encryptData'>>,
  ): Promise<Omit<UserInfoResult, 'encryptData'>>;

  request(options: RequestOptions): RequestTask;

  connectSocket(options: ConnectSocketOptions): SocketTask;
  onSocketOpen(listener: SocketListeners['open']): void;
  onSocketMessage(listener: SocketListeners['message']): void;
  onSocketClose(listener: SocketListeners['close']): void;
  onSocketError(listener: SocketListeners['error']): void;
  sendSocketMessage(options: { data: string | ArrayBuffer } & WxCallbacks): Promise<WxResult>;
  closeSocket(options?: { code?: number; reason?: string } & WxCallbacks): Promise<WxResult>;

  setStorageSync(key: string, data: unknown): void;
  /** A deep copy of the value, or '' when the key is absent (as WeChat). */
  getStorageSync(key: string): unknown;
  removeStorageSync(key: string): void;
  clearStorageSync(): void;
  getStorageInfoSync(): { keys: string[]; currentSize: number; limitSize: number };
  setStorage(options: { key: string; data: unknown } & WxCallbacks): Promise<WxResult>;
  getStorage<T = unknown>(
    options: { key: string } & WxCallbacks<WxResult & { data: T }>,
  ): Promise<WxResult & { data: T }>;
  removeStorage(options: { key: string } & WxCallbacks): Promise<WxResult>;
  clearStorage(options?: WxCallbacks): Promise<WxResult>;

  onAppShow(listener: (result: Record<string, unknown>) => void): void;
  offAppShow(listener: (result: Record<string, unknown>) => void): void;
  onAppHide(listener: (result: Record<string, unknown>) => void): void;
  offAppHide(listener: (result: Record<string, unknown>) => void): void;
  onNetworkStatusChange(listener: (result: { isConnected: boolean; networkType: string }) => void): void;
  offNetworkStatusChange(listener: (result: { isConnected: boolean; networkType: string }) => void): void;
  getNetworkType(
    options?: Options<WxResult & { networkType: string }>,
  ): Promise<WxResult & { networkType: string }>;

  showToast(options?: Options): Promise<WxResult>;
  showLoading(options?: Options): Promise<WxResult>;
  hideLoading(options?: Options): Promise<WxResult>;
  /** Answers as if the user pressed OK. */
  showModal(options?: Options<ModalResult>): Promise<ModalResult>;

  /** Not WeChat: the simulated phone's state, for tests. */
  readonly sim: {
    readonly appid: string | undefined;
    readonly openid: string | undefined;
    /** The code of the last `login`. */
    readonly code: string | undefined;
    readonly storage: MemoryStorage;
    /** Terminates every socket this `wx` opened. */
    terminateSockets(): void;
    /**
     * The app goes to the background / comes back: `onAppHide` / `onAppShow` listeners run, and
     * while hidden the sockets read nothing (the JS thread is suspended): no events, no pongs.
     */
    hide(): void;
    show(): void;
    /** Network off: sockets die, requests and new sockets fail; listeners of `onNetworkStatusChange` run. */
    setOnline(online: boolean): void;
  };
}
