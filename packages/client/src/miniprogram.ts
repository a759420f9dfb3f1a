/** Entry of the mini program build (`miniprogram_dist`): everything, on `wx`. */
export * from './index.js';
export { createWxPlatform, type WxLike } from './platform/wx.js';
