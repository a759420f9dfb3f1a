import type { UserDataInput } from '@hutong/core';
import { decode, HutongError, parseJson, type WxProfile, WxUserInfo } from '@hutong/protocol/schemas';
import { decryptLegacyUserData, decryptUserData, verifyRawData } from '@hutong/protocol/wechat-crypto';

export interface VerifiedUserData {
  /** The decrypted or signed object as the client SDKs expect it back (Wafer `user_info`). */
  userInfo: WxUserInfo;
  profile: WxProfile;
  unionId?: string;
}

export interface UserDataChecks {
  appid: string;
  openid: string;
  sessionKey: string;
  /** Largest accepted age of the watermark, milliseconds. */
  maxAgeMs: number;
  now: number;
}

const PROFILE_KEYS = ['nickName', 'avatarUrl', 'gender', 'language', 'city', 'province', 'country'] as const;

export function profileOf(info: WxUserInfo): WxProfile {
  const profile: Record<string, unknown> = {};
  for (const key of PROFILE_KEYS) if (info[key] !== undefined) profile[key] = info[key];
  return profile as WxProfile;
}

function parseInfo(text: string | null, error: HutongError): WxUserInfo {
  if (text === null) throw error;
  const json = parseJson(text);
  if (!json.ok) throw error;
  const info = decode(WxUserInfo, json.value);
  if (!info.ok) throw error;
  return info.value;
}

/**
 * Verifies user data against the session_key WeChat just gave for the login code. Identity never
 * comes from this data: a decrypted `openId` that differs from code2Session's is rejected.
 */
export function verifyUserData(input: UserDataInput, checks: UserDataChecks): VerifiedUserData {
  const bad = new HutongError('ERR_USER_DATA_INVALID');
  let info: WxUserInfo;
  switch (input.kind) {
    case 'encrypted': {
      info = parseInfo(decryptUserData(input.encryptedData, checks.sessionKey, input.iv), bad);
      const mark = info.watermark;
      if (!mark || mark.appid !== checks.appid) throw new HutongError('ERR_USER_DATA_WATERMARK');
      const ageMs = checks.now - mark.timestamp * 1000;
      if (ageMs > checks.maxAgeMs || ageMs < -60_000) throw new HutongError('ERR_USER_DATA_STALE');
      break;
    }
    case 'legacy':
      // The 2016 format carries no watermark: the key alone vouches for it.
      info = parseInfo(decryptLegacyUserData(input.encryptData, checks.sessionKey), bad);
      break;
    case 'signed': {
      if (!verifyRawData(input.rawData, input.signature, checks.sessionKey)) {
        throw new HutongError('ERR_USER_DATA_SIGNATURE');
      }
      info = parseInfo(input.rawData, bad);
      break;
    }
  }
  if (info.openId !== undefined && info.openId !== checks.openid) {
    throw new HutongError('ERR_USER_DATA_INVALID', 'The user data belongs to another user');
  }
  const userInfo: WxUserInfo = { ...info, openId: checks.openid };
  const result: VerifiedUserData = { userInfo, profile: profileOf(info) };
  // A unionId is trusted only beside the openId it belongs to: data without an openId (a profile,
  // or a ciphertext whose IV was tampered with) could otherwise plant a chosen unionId.
  if (info.unionId && info.openId === checks.openid) result.unionId = info.unionId;
  return result;
}
