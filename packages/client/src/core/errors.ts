/**
 * Error types as the Wafer client SDKs name them (an app checking `error.type` keeps working),
 * plus Hutong's own. `detail` carries what the host or the server said.
 */
export const clientErrorTypes = {
  invalidParams: 'ERR_INVALID_PARAMS',
  wxLoginFailed: 'ERR_WX_LOGIN_FAILED',
  wxGetUserInfo: 'ERR_WX_GET_USER_INFO',
  loginFailed: 'ERR_LOGIN_FAILED',
  loginMissingSession: 'ERR_LOGIN_MISSING_SESSION',
  /** Wafer 2's name for an invalid session; Wafer 1 servers say ERR_INVALID_SESSION. */
  sessionInvalid: 'ERR_SESSION_INVALID',
  invalidSession: 'ERR_INVALID_SESSION',
  checkLoginFailed: 'ERR_CHECK_LOGIN_FAILED',
  /** weapp-session: the server found the user data's signature wrong (the client does not retry). */
  untrustedRawData: 'ERR_UNTRUSTED_RAW_DATA',
  /** No HTTP response at all (network down, timeout, refused). */
  network: 'ERR_NETWORK',
  tunnelClosed: 'ERR_TUNNEL_CLOSED',
  ackTimeout: 'ERR_ACK_TIMEOUT',
  ackRefused: 'ERR_ACK_REFUSED',
  queueFull: 'ERR_QUEUE_FULL',
} as const;
export type ClientErrorType = (typeof clientErrorTypes)[keyof typeof clientErrorTypes] | (string & {});

class TypedError extends Error {
  constructor(
    readonly type: ClientErrorType,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
  }
}

export class LoginError extends TypedError {
  override readonly name = 'LoginError';
}

export class RequestError extends TypedError {
  override readonly name = 'RequestError';
}

export class TunnelError extends TypedError {
  override readonly name = 'TunnelError';
}
