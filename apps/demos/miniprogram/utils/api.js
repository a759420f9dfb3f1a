/**
 * The demo business routes (docs/demos.md) over @hutong/client's `request`: the SDK sends the
 * session and logs in again when the server says it is gone; this unwraps Wafer 2's
 * `{code: 0, data}` and turns `{code: 1, error: {code, message}}` into a DemoError.
 */
const hutong = require('@hutong/client');
const { serverUrl } = require('../config.js');

const base = serverUrl.replace(/\/+$/, '');

/** Where the SDK goes: the login and chat room routes, and the IM socket on the same host. */
const urls = {
  login: `${base}/weapp/login`,
  tunnel: `${base}/weapp/tunnel`,
  im: `${base.replace(/^http/, 'ws')}/im`,
};

/** A failed call: `code` is the server's (`ERR_DEMO_*`), or the SDK's error type (`ERR_NETWORK`, …). */
class DemoError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'DemoError';
    this.code = code;
  }
}

/**
 * Calls a route of this server and resolves with its `data`.
 * @param {'GET' | 'POST' | 'DELETE'} method
 * @param {string} path e.g. `/weapp/profile`
 * @param {object} [data] the JSON body
 */
async function call(method, path, data) {
  let response;
  try {
    response = await hutong.request({ url: base + path, method, data, login: true });
  } catch (error) {
    throw new DemoError(error.type || 'ERR_NETWORK', error.message);
  }
  const { code, data: result, error = {} } = response.data || {};
  if (response.statusCode === 200 && code === 0) return result;
  throw new DemoError(
    typeof error.code === 'string' ? error.code : `HTTP_${response.statusCode}`,
    typeof error.message === 'string' ? error.message : `HTTP ${response.statusCode}`,
  );
}

module.exports = {
  urls,
  DemoError,
  get: (path) => call('GET', path),
  post: (path, data) => call('POST', path, data),
  del: (path) => call('DELETE', path),
};
