/** `@hutong/client/node`: the Node platform (tests, scripts, servers acting as a client). */
export { createNodePlatform, type NodePlatformOptions } from './platform/node.js';
