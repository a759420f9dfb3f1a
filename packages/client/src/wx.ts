/** `@hutong/client/wx`: the mini program platform, for `createClient` with a `wx` of your choice. */
export { createWxPlatform, type WxLike } from './platform/wx.js';
