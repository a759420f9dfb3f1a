/** Wafer 1 auth server API (qcloud-weapp-server-sdk ↔ auth server), docs/protocols/auth-api.md#wafer-1-auth-server-api. */
export const wafer1Interfaces = { login: 'qcloud.cam.id_skey', check: 'qcloud.cam.auth' } as const;

export const wafer1ReturnCodes = { success: 0, skeyExpired: 60011, authFailed: 60012 } as const;

export interface Wafer1Response<T> {
  version: 1;
  componentName: 'MA';
  returnCode: number;
  returnMessage: string;
  returnData: T | '';
}
