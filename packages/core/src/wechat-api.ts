import type { PhoneInfo } from '@hutong/protocol';

export interface AppCredentials {
  readonly appid: string;
  readonly secret: string;
}

export interface WxSession {
  openid: string;
  sessionKey: string;
  unionid?: string;
}

/**
 * The slice of the WeChat server API Hutong needs. Implementations throw `HutongError` with an
 * `ERR_WX_*` code (WeChat's errcode in `details.errcode`) and never log or return the app secret.
 * The server's `HttpWeChatApi` speaks WeChat's HTTPS API (or the simulator's).
 */
export interface WeChatApi {
  code2Session(app: AppCredentials, code: string): Promise<WxSession>;
  getPhoneNumber(app: AppCredentials, code: string, openid?: string): Promise<PhoneInfo>;
}
