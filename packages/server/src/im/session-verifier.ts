import { HutongError } from '@hutong/protocol';
import type { AuthService } from '../auth/auth-service.js';
import { imHutongCodes, type LoginVerdict } from './im-hub.js';

/**
 * The default IM login check: the token is a Hutong session key (`skey`) and `loginUserId` must be
 * that session's openid. The login is bound to the session: checked again at its expiry, ended by
 * its logout. Apps with their own user ids pass their own verifier instead.
 */
export function sessionLoginVerifier(auth: Pick<AuthService, 'check'>) {
  return async ({ userId, token }: { userId: string; token: string }): Promise<LoginVerdict> => {
    if (!token) return { ok: false, code: imHutongCodes.tokenInvalid };
    try {
      const { user, session } = await auth.check(token);
      if (user.openid !== userId) return { ok: false, code: imHutongCodes.tokenOtherUser };
      // The connection lives as long as the session: checked again when it would expire.
      return { ok: true, expiresAt: Math.min(session.expiresAt, session.idleExpiresAt) };
    } catch (err) {
      if (err instanceof HutongError && err.code === 'ERR_STORE_UNAVAILABLE') {
        return { ok: false, code: imHutongCodes.verifyUnavailable };
      }
      return { ok: false, code: imHutongCodes.tokenInvalid };
    }
  };
}
