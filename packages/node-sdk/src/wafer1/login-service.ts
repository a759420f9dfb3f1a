import { userDataFromHeaders } from '@hutong/core';
import { HutongError, WAFER_MAGIC, type WxUserInfo, wafer1ErrorTypes, wxHeaders } from '@hutong/protocol';
import { type AuthBackend, Wafer1RemoteBackend } from '../backend.js';
import { config as moduleConfig, type Wafer1Config } from './config.js';
import { ServiceBase } from './service-base.js';

export type LoginErrorType = (typeof wafer1ErrorTypes)[keyof typeof wafer1ErrorTypes];

/** The error LoginService rejects with; `type` is what the mini program sees in `error`. */
export class LoginServiceError extends Error {
  override readonly name = 'LoginServiceError';
  constructor(
    readonly type: LoginErrorType,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface LoginServiceResult {
  userInfo: WxUserInfo;
}

type Callback = (error: LoginServiceError | null, result?: LoginServiceResult) => void;

/**
 * The Wafer 1 `LoginService` (qcloud-weapp-server-sdk): `login()` answers the mini program's login
 * request, `check()` validates the session headers. Each returns a Promise, or calls `callback`
 * when one is given, and writes the same response bodies the official SDK writes.
 */
export class LoginService extends ServiceBase {
  /** The configuration read by this class; tests and multi-tenant servers may swap it. */
  static config: Wafer1Config = moduleConfig;

  private backend(): AuthBackend {
    const cfg = (this.constructor as typeof LoginService).config;
    return (
      cfg.getAuthBackend() ??
      new Wafer1RemoteBackend(
        () => cfg.getAuthServerUrl(),
        () => cfg.getNetworkTimeout(),
      )
    );
  }

  login(callback?: Callback): Promise<LoginServiceResult> | undefined {
    const run = async (): Promise<LoginServiceResult> => {
      try {
        const code = this.requireHeader(wxHeaders.code);
        const userData = userDataFromHeaders(this.req.headers);
        const ip = this.req.socket?.remoteAddress;
        const session = await this.backend().login({
          code,
          ...(userData ? { userData } : {}),
          ...(ip ? { ip } : {}),
        });
        this.writeJsonResult({ [WAFER_MAGIC]: 1, session: { id: session.id, skey: session.skey } });
        return { userInfo: session.userInfo };
      } catch (error) {
        throw this.fail(wafer1ErrorTypes.loginFailed, error);
      }
    };
    return this.settle(run(), callback);
  }

  check(callback?: Callback): Promise<LoginServiceResult> | undefined {
    const run = async (): Promise<LoginServiceResult> => {
      try {
        const id = this.requireHeader(wxHeaders.id);
        const skey = this.requireHeader(wxHeaders.skey);
        const { userInfo } = await this.backend().check(skey, id);
        return { userInfo };
      } catch (error) {
        const invalid = error instanceof HutongError && error.code === 'ERR_SESSION_INVALID';
        throw this.fail(invalid ? wafer1ErrorTypes.invalidSession : wafer1ErrorTypes.checkLoginFailed, error);
      }
    };
    return this.settle(run(), callback);
  }

  private requireHeader(name: string): string {
    const value = this.getHeader(name).trim();
    if (!value) {
      throw new HutongError('ERR_HEADER_MISSING', `请求头未包含 ${name}，请配合客户端 SDK 登录后再进行请求`);
    }
    return value;
  }

  private fail(type: LoginErrorType, error: unknown): LoginServiceError {
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof HutongError ? error.code : undefined;
    // A missing session header is an invalid session to the client: it logs in again.
    const effective =
      code === 'ERR_HEADER_MISSING' && type !== wafer1ErrorTypes.loginFailed
        ? wafer1ErrorTypes.invalidSession
        : type;
    const failure = new LoginServiceError(effective, message, code);
    if (!this.res.headersSent) {
      this.writeJsonResult({ [WAFER_MAGIC]: 1, error: failure.type, message: failure.message });
    }
    return failure;
  }

  private settle(
    promise: Promise<LoginServiceResult>,
    callback?: Callback,
  ): Promise<LoginServiceResult> | undefined {
    if (typeof callback !== 'function') return promise;
    promise.then(
      (result) => setTimeout(() => callback(null, result), 0),
      (error: LoginServiceError) => setTimeout(() => callback(error), 0),
    );
    return undefined;
  }
}
