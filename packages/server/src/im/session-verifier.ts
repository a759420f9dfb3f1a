import { HutongError } from '@hutong/protocol';
import type { AuthService } from '../auth/auth-service.js';
import { imHutongCodes, type LoginVerdict } from './im-hub.js';

/**
 * The default IM login check: the token is a Hutong session key (`skey`) and `loginUserId` must be
 * that session's openid. Apps with their own user ids pass their own verifier instead.
 */
export function sessionLoginVerifier(auth: Pick<AuthService, 'check'>) {
  return async ({ userId, token }: { userId: string; token: string }): Promise<LoginVerdict> => {
    if (!token) return { ok: false, code: imHutongCodes.tokenInvalid };
    try {
      const { user } = await auth.check(token);
      return user.openid === userId ? { ok: true } : { ok: false, code: imHutongCodes.tokenOtherUser };
    } catch (err) {
      if (err instanceof HutongError && err.code === 'ERR_STORE_UNAVAILABLE') {
        return { ok: false, code: imHutongCodes.verifyUnavailable };
      }
      return { ok: false, code: imHutongCodes.tokenInvalid };
    }
  };
}
