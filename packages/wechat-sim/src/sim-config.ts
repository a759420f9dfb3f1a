import type { WxProfile } from '@hutong/protocol';

export interface SimAppConfig {
  appid: string;
  secret: string;
  /** The app is bound to an Open Platform account: its users have a unionid. */
  unionid?: boolean;
}

export interface WeChatSimOptions {
  /** Registered apps; the first is the default. Defaults to `[DEFAULT_APP]`. */
  apps?: readonly SimAppConfig[];
  /** Epoch ms; inject a fake clock to test expiry. */
  now?: () => number;
  /** Whether each device login gives the user a new session_key (WeChat may; default always). */
  rotateSessionKey?: 'always' | 'never';
  /** jscode2session calls per user per minute before 45011 (WeChat: 100). */
  code2SessionPerMinute?: number;
  /** New users get WeChat's post-2021 anonymous profile ("微信用户") instead of "Sim User N". */
  anonymousProfiles?: boolean;
}

/** The dev stack's app: fixed so a business server can be configured once. */
export const DEFAULT_APP: Readonly<SimAppConfig> = {
  appid: 'wx0123456789abcdef',
  secret: '0123456789abcdef0123456789abcdef',
  unionid: true,
};

export interface SimUser {
  readonly appid: string;
  readonly openid: string;
  readonly unionid: string | undefined;
  sessionKey: string;
  profile: WxProfile;
  phoneNumber: string;
}
