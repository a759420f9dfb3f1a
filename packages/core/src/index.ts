/**
 * `@hutong/core`: what the Hutong server and the business-server SDK share, with no driver and no
 * framework: the seams' interfaces (session store, message store, broker, WeChat API, tunnel
 * receiver, the in-process auth and tunnel ports), request helpers and the tunnel receivers.
 */
export * from './auth.js';
export type * from './broker.js';
export * from './http-errors.js';
export type * from './im-webhook-call.js';
export type * from './logger.js';
export * from './message-store.js';
export * from './request-helpers.js';
export type * from './session-store.js';
export * from './tunnel-port.js';
export * from './tunnel-receivers.js';
export type * from './wechat-api.js';
