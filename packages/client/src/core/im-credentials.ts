import type { HutongClient } from './client.js';
import { clientErrorTypes, LoginError } from './errors.js';
import { ImError, imErrorTypes } from './im-errors.js';

export interface ImConnectOptions {
  /** Default: the session's `userInfo.openId`. */
  userId?: string;
  /** Default: the session's skey (a login first when there is no session). */
  token?: string;
  /** The login's `extra` as is (MobileIMSDK); default `{"deviceId"}` when a deviceId is set. */
  extra?: string | null;
}

/**
 * The user and token of an IM login: what the app gave, else the client's session (logging in
 * when there is none; `refresh` forces a new one after the server said 1025). Failures that a
 * retry cannot fix are ImError ERR_IM_AUTH_FAILED; others (network) are thrown as they are.
 */
export async function imCredentials(
  client: HutongClient,
  given: ImConnectOptions,
  refresh: boolean,
): Promise<{ userId: string; token: string }> {
  if (given.userId !== undefined && given.token !== undefined)
    return { userId: given.userId, token: given.token };
  try {
    if (refresh && given.token === undefined) await client.login({ force: true });
    else if (!client.session.get()) await client.login();
  } catch (error) {
    const type = error instanceof LoginError ? error.type : '';
    if (type === clientErrorTypes.invalidParams || type === clientErrorTypes.loginMissingSession) {
      throw new ImError(imErrorTypes.authFailed, (error as Error).message, error);
    }
    throw error;
  }
  const session = client.session.get();
  if (!session) throw new ImError(imErrorTypes.authFailed, 'no session after login');
  const openId = session.userInfo?.['openId'];
  const userId = given.userId ?? (typeof openId === 'string' && openId ? openId : undefined);
  if (userId === undefined) {
    throw new ImError(
      imErrorTypes.authFailed,
      'the session names no user (userInfo.openId): pass connect({ userId })',
    );
  }
  return { userId, token: given.token ?? session.skey };
}
