import type { WxProfile } from '@hutong/protocol';
import {
  encryptLegacyUserData,
  encryptUserData,
  randomKey16,
  signRawData,
} from '@hutong/protocol/wechat-crypto';

/** What `wx.getUserInfo` has returned since 2021-04-28 to every app (research §0.7). */
export const anonymousProfile: WxProfile = {
  nickName: '微信用户',
  gender: 0,
  language: '',
  city: '',
  province: '',
  country: '',
  avatarUrl:
    'https://thirdwx.qlogo.cn/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/132',
};

/** A distinct, recognisable profile for the n-th simulated user (handy in chat demos). */
export function simProfile(n: number): WxProfile {
  return {
    nickName: `Sim User ${n}`,
    gender: n % 3,
    language: 'zh_CN',
    city: 'Guangzhou',
    province: 'Guangdong',
    country: 'CN',
    avatarUrl: anonymousProfile.avatarUrl ?? '',
  };
}

const ORDER = ['nickName', 'gender', 'language', 'city', 'province', 'country', 'avatarUrl'] as const;

/** The profile with WeChat's key order first (rawData is signed text, so order is visible). */
function ordered(profile: WxProfile): WxProfile {
  const out: Record<string, unknown> = {};
  for (const key of ORDER) if (profile[key] !== undefined) out[key] = profile[key];
  for (const [key, value] of Object.entries(profile))
    if (!(key in out) && value !== undefined) out[key] = value;
  return out as WxProfile;
}

export interface UserDataInput {
  profile: WxProfile;
  appid: string;
  openid: string;
  unionid: string | undefined;
  sessionKey: string;
  /** Unix seconds for the watermark. */
  timestamp: number;
  /** getUserInfo data carries openId/unionId; getUserProfile data does not (research A6). */
  withIds: boolean;
}

export interface SimUserData {
  userInfo: WxProfile;
  rawData: string;
  signature: string;
  encryptedData: string;
  iv: string;
  /** The 2016 form (AES-128-CBC, IV = key, no watermark) read by qcloud-weapp-client-sdk 0.7.4. */
  encryptData: string;
}

/** Signs and encrypts a profile exactly as the WeChat client hands it to a mini program. */
export function buildUserData(input: UserDataInput): SimUserData {
  const userInfo = ordered(input.profile);
  const rawData = JSON.stringify(userInfo);
  const ids = input.withIds
    ? { openId: input.openid, ...userInfo, ...(input.unionid ? { unionId: input.unionid } : {}) }
    : userInfo;
  const iv = randomKey16();
  const watermarked = { ...ids, watermark: { timestamp: input.timestamp, appid: input.appid } };
  return {
    userInfo,
    rawData,
    signature: signRawData(rawData, input.sessionKey),
    encryptedData: encryptUserData(JSON.stringify(watermarked), input.sessionKey, iv),
    iv,
    encryptData: encryptLegacyUserData(JSON.stringify(ids), input.sessionKey),
  };
}
