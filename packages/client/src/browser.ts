/** `@hutong/client/browser`: the browser platform. */
export { type BrowserPlatformOptions, createBrowserPlatform } from './platform/browser.js';
