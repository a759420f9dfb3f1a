/**
 * Compile-time check (`npm run typecheck:client`): the wire types the client uses are exactly the
 * protocol package's schema types. The frame is `@hutong/protocol/im-frames`'s, the codec the
 * server runs too; the history message is written out here, so the published `.d.ts` needs no
 * schema library.
 */
import type { ImMessageView, LoginInfo, Protocal } from '@hutong/protocol/im';
import type { ImHistoryMessage } from '../src/core/im-history.js';
import type { Protocal as ClientProtocal, clientFrames } from '../src/core/im-wire.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Extends<A, B> = [A] extends [B] ? true : false;

export const frameAgrees: Equal<ClientProtocal, Protocal> = true;
/** What the client logs in with is a login info the server's schema accepts. */
export const loginAgrees: Extends<Parameters<typeof clientFrames.login>[0], LoginInfo> = true;
export const historyAgrees: Equal<ImHistoryMessage, ImMessageView> = true;
