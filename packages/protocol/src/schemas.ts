/**
 * `@hutong/protocol/schemas`: every wire message's TypeBox schema, with `decode` (a typed error for
 * bad input) and all of `@hutong/protocol` besides. Needs `@sinclair/typebox` (an optional peer
 * dependency: the server has it; the node SDK and the client never load it).
 */
export * from './api.js';
export * from './decode.js';
export * from './errors.js';
export * from './headers.js';
export * from './result.js';
export * from './tunnel.js';
export * from './wafer1.js';
export * from './wechat.js';
