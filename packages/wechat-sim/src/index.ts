export { CODE_TTL_MS } from './codes.js';
export { type DeviceRoutesOptions, deviceRoutes } from './device-routes.js';
export { simErrcodes, type WxErrorBody, wxError } from './errmsg.js';
export { type FaultApi, Faults, faultApis } from './faults.js';
export { type PlatformRoutesOptions, platformRoutes } from './platform-routes.js';
export {
  createSimServer,
  type SimServer,
  type SimServerOptions,
  type WechatSimPluginOptions,
  wechatSimPlugin,
} from './plugin.js';
export { DEFAULT_APP, type SimAppConfig, type SimUser, type WeChatSimOptions } from './sim-config.js';
export { WeChatSim } from './sim-state.js';
export { type AccessTokenReply, TOKEN_GRACE_MS, TOKEN_TTL_MS } from './token-store.js';
export { anonymousProfile, type SimUserData } from './user-data.js';
export { createWx } from './wx.js';
export type { WxCallbacks, WxResult } from './wx-callbacks.js';
export type { RequestOptions, RequestSuccess, RequestTask } from './wx-request.js';
export type {
  ConnectSocketOptions,
  SocketCloseResult,
  SocketMessageResult,
  SocketOpenResult,
  SocketTask,
} from './wx-socket.js';
export { MemoryStorage } from './wx-storage.js';
export type { CreateWxOptions, LoginResult, SimWx, UserInfoResult } from './wx-types.js';
