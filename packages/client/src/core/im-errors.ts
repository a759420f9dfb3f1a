import { clientErrorTypes } from './errors.js';

/**
 * Why an IM call failed. `ImError.type` is one of these; `detail` carries what the server said.
 * Retry: `ERR_IM_LOST` (send it again, same `fp` is safe); the others need a change first.
 */
export const imErrorTypes = {
  /** `to`, `content`, `typeu` or `fp` is not usable; nothing was queued. */
  invalidParams: clientErrorTypes.invalidParams,
  /** `maxOutbox` messages are waiting already. */
  queueFull: clientErrorTypes.queueFull,
  /** The frame would exceed the server's limit (64 KiB). */
  tooLarge: 'ERR_IM_TOO_LARGE',
  /** `close()` was called, or the client was never connected. Queued messages stay in storage. */
  closed: 'ERR_IM_CLOSED',
  /** Another login of this device replaced this one (type 54). */
  kicked: 'ERR_IM_KICKED',
  /** The IM server refused the login (or no user id / session could be had). */
  authFailed: 'ERR_IM_AUTH_FAILED',
  /** The server did not accept the message within `lostAfterMs` of its first transmission. */
  lost: 'ERR_IM_LOST',
  /** The server refused the message (error 1403: the business side's filter). */
  refused: 'ERR_IM_REFUSED',
} as const;
export type ImErrorType = (typeof imErrorTypes)[keyof typeof imErrorTypes];

export class ImError extends Error {
  override readonly name = 'ImError';
  constructor(
    readonly type: ImErrorType,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
  }
}
