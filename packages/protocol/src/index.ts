export * from './api.js';
export * from './decode.js';
export * from './errors.js';
export * from './headers.js';
export * from './result.js';
export * from './tunnel.js';
export * from './wafer1.js';
export * from './wechat.js';
