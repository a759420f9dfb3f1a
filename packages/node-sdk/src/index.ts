export * from './backend.js';
export { config, createWafer1Config, type Wafer1Config, type Wafer1Settings } from './wafer1/config.js';
export { LoginService, LoginServiceError, type LoginServiceResult } from './wafer1/login-service.js';
export * from './wafer2/auth.js';
