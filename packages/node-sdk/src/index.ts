export * from './backend.js';
export * from './tunnel/callback.js';
export * from './tunnel/hutong-tunnels.js';
export * from './tunnel/tunnel-backend.js';
export { config, createWafer1Config, type Wafer1Config, type Wafer1Settings } from './wafer1/config.js';
export { LoginService, LoginServiceError, type LoginServiceResult } from './wafer1/login-service.js';
export { type HandleOptions, TunnelService, type Wafer1TunnelHandler } from './wafer1/tunnel-service.js';
export * from './wafer2/auth.js';
export * from './wafer2/tunnel.js';
