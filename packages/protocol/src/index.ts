/**
 * `@hutong/protocol`: the wire formats as plain types and codecs, with no schema library: errors,
 * headers, tunnel frames, Wafer 1 codes, WeChat and API shapes. What validates them, the TypeBox
 * schemas and `decode`, is `@hutong/protocol/schemas` (it needs `@sinclair/typebox`).
 */
export * from './api-types.js';
export * from './errors.js';
export * from './headers.js';
export * from './result.js';
export * from './tunnel-codec.js';
export * from './wafer1-codes.js';
export * from './wechat-types.js';
