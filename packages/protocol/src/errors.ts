/**
 * The error registry: every error Hutong reports has a stable string code listed here, with the
 * HTTP status it maps to, whether retrying the same call can help, and the numeric code the Wafer 1
 * auth server API uses for it. `docs/errors.md` lists the same codes; a test keeps the two in step.
 */
export const errorRegistry = {
  ERR_BAD_REQUEST: { status: 400, retry: false, wafer1: 1003, message: 'The request is malformed' },
  ERR_HEADER_MISSING: { status: 400, retry: false, wafer1: 1003, message: 'A required header is missing' },
  ERR_PAYLOAD_TOO_LARGE: { status: 413, retry: false, wafer1: 1003, message: 'The request is too large' },
  ERR_NOT_JSON: { status: 400, retry: false, wafer1: 1009, message: 'The request body is not JSON' },
  ERR_INTERFACE_MISSING: { status: 400, retry: false, wafer1: 1002, message: 'interfaceName is missing' },
  ERR_INTERFACE_UNKNOWN: { status: 400, retry: false, wafer1: 1010, message: 'Unknown interfaceName' },
  ERR_PARA_MISSING: { status: 400, retry: false, wafer1: 1011, message: 'para is missing' },
  ERR_NOT_FOUND: { status: 404, retry: false, wafer1: 1003, message: 'No such route' },
  ERR_FORBIDDEN: { status: 403, retry: false, wafer1: 1003, message: 'Not allowed for this user' },
  ERR_ADMIN_TOKEN: { status: 401, retry: false, wafer1: 1003, message: 'A valid admin token is required' },
  ERR_APP_UNKNOWN: { status: 400, retry: false, wafer1: 1012, message: 'The app id is not configured' },

  ERR_WX_CODE_INVALID: {
    status: 400,
    retry: false,
    wafer1: 40029,
    message: 'WeChat rejected the login code',
  },
  ERR_WX_CODE_USED: { status: 400, retry: false, wafer1: 40029, message: 'The login code was used already' },
  ERR_WX_RATE_LIMITED: { status: 429, retry: true, wafer1: 40029, message: 'WeChat rate limit reached' },
  ERR_WX_CREDENTIALS: {
    status: 502,
    retry: false,
    wafer1: 40029,
    message: 'WeChat rejected the app id or secret',
  },
  ERR_WX_UNAVAILABLE: { status: 503, retry: true, wafer1: 1005, message: 'WeChat cannot be reached' },
  ERR_WX_BAD_RESPONSE: { status: 502, retry: true, wafer1: 1007, message: 'WeChat answered unexpectedly' },
  ERR_WX_API: { status: 502, retry: false, wafer1: 40029, message: 'WeChat returned an error' },

  ERR_USER_DATA_INVALID: {
    status: 400,
    retry: false,
    wafer1: 60021,
    message: 'The encrypted user data does not decrypt with this session',
  },
  ERR_USER_DATA_WATERMARK: {
    status: 400,
    retry: false,
    wafer1: 60021,
    message: 'The user data belongs to another app',
  },
  ERR_USER_DATA_STALE: { status: 400, retry: false, wafer1: 60021, message: 'The user data is too old' },
  ERR_USER_DATA_SIGNATURE: {
    status: 400,
    retry: false,
    wafer1: 60021,
    message: 'The rawData signature does not match',
  },

  ERR_SESSION_INVALID: {
    status: 401,
    retry: false,
    wafer1: 60012,
    message: 'The session is unknown or has expired',
  },
  ERR_PHONE_CODE_INVALID: {
    status: 400,
    retry: false,
    wafer1: 40029,
    message: 'WeChat rejected the phone number code',
  },

  ERR_AUTH_UNAVAILABLE: {
    status: 503,
    retry: true,
    wafer1: 2000,
    message: 'The auth service cannot be reached',
  },
  ERR_TUNNEL_FRAME: { status: 400, retry: false, wafer1: 1003, message: 'The tunnel frame is malformed' },
  ERR_TUNNEL_SIGNATURE: {
    status: 403,
    retry: false,
    wafer1: 1003,
    message: 'The tunnel API signature is wrong',
  },
  ERR_TUNNEL_UNKNOWN: { status: 404, retry: false, wafer1: 1003, message: 'No such tunnel, or it expired' },
  ERR_TUNNEL_UNAVAILABLE: {
    status: 503,
    retry: true,
    wafer1: 2000,
    message: 'The tunnel server cannot be reached or refused the call',
  },
  ERR_TUNNEL_LIMIT: { status: 429, retry: true, wafer1: 1014, message: 'Too many tunnels' },
  ERR_TUNNEL_RESUME: {
    status: 403,
    retry: false,
    wafer1: 1003,
    message: 'The tunnel resume secret is missing or wrong',
  },
  ERR_TUNNEL_RECEIVE_HOST: {
    status: 403,
    retry: false,
    wafer1: 1003,
    message: 'The receiveUrl host is not allowed',
  },
  ERR_TUNNEL_DELIVERY: {
    status: 502,
    retry: true,
    wafer1: 2000,
    message: 'The business side did not take the tunnel event',
  },
  ERR_IM_FRAME: { status: 400, retry: false, wafer1: 1003, message: 'The IM frame is malformed' },
  ERR_RATE_LIMITED: { status: 429, retry: true, wafer1: 1014, message: 'Too many requests' },
  ERR_STORE_UNAVAILABLE: {
    status: 503,
    retry: true,
    wafer1: 1001,
    message: 'The store is unavailable',
  },
  ERR_DRAINING: {
    status: 503,
    retry: true,
    wafer1: 1001,
    message: 'This node is shutting down; retry on another',
  },
  ERR_INTERNAL: { status: 500, retry: true, wafer1: 2000, message: 'Internal error' },
} as const satisfies Record<string, ErrorSpec>;

export interface ErrorSpec {
  readonly status: number;
  readonly retry: boolean;
  readonly wafer1: number;
  readonly message: string;
}

export type ErrorCode = keyof typeof errorRegistry;

export const errorCodes = Object.keys(errorRegistry) as ErrorCode[];

/** The one error type Hutong throws across package boundaries. */
export class HutongError extends Error {
  override readonly name = 'HutongError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly retry: boolean;
  /** Extra machine-readable facts (e.g. WeChat's errcode); never secrets. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    const spec = errorRegistry[code];
    super(message ?? spec.message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = spec.status;
    this.retry = spec.retry;
    this.details = options?.details;
  }

  get wafer1Code(): number {
    return errorRegistry[this.code].wafer1;
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function hutongError(
  code: ErrorCode,
  message?: string,
  options?: { cause?: unknown; details?: Record<string, unknown> },
): HutongError {
  return new HutongError(code, message, options);
}

export function isHutongError(value: unknown): value is HutongError {
  return value instanceof HutongError;
}

/** The registry code a Wafer 1 returnCode stands for (first match), for clients of `/auth`. */
export function fromWafer1Code(returnCode: number): ErrorCode {
  if (returnCode === 60011 || returnCode === 60012) return 'ERR_SESSION_INVALID';
  return errorCodes.find((code) => errorRegistry[code].wafer1 === returnCode) ?? 'ERR_INTERNAL';
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorRegistry, value);
}

/** Wraps anything thrown into a HutongError, keeping the original as `cause`. */
export function toHutongError(value: unknown): HutongError {
  if (value instanceof HutongError) return value;
  return new HutongError('ERR_INTERNAL', undefined, { cause: value });
}
