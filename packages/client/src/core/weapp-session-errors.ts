import { type WeappSessionErrorBody, weappSessionReasons } from '@hutong/protocol/headers';
import { clientErrorTypes, RequestError } from './errors.js';
import type { PlatformResponse } from './platform.js';

/**
 * What a weapp-session error body asks of the client: log in again (the code is unknown or WeChat
 * refused it), or fail (the signature did not match, or the rawData did not parse).
 */
export function weappSessionVerdict(body: WeappSessionErrorBody): 'relogin' | 'fail' {
  return body.reason === weappSessionReasons.expired || body.reason === weappSessionReasons.exchangeFailed
    ? 'relogin'
    : 'fail';
}

/** The typed error for a weapp-session body the client gives up on. */
export function weappSessionError(body: WeappSessionErrorBody, response: PlatformResponse): RequestError {
  const message = typeof body.error.message === 'string' ? body.error.message : 'weapp-session error';
  if (body.reason === weappSessionReasons.untrusted) {
    return new RequestError(clientErrorTypes.untrustedRawData, `用户信息签名校验失败：${message}`, response);
  }
  if (body.reason)
    return new RequestError(clientErrorTypes.sessionInvalid, `登录态已过期：${message}`, response);
  return new RequestError(
    clientErrorTypes.checkLoginFailed,
    `会话服务器拒绝了用户信息：${message}`,
    response,
  );
}
