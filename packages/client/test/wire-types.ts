/**
 * Compile-time check (`npm run typecheck:client`): the client's written-out wire types are exactly
 * the protocol package's schema types, so the published `.d.ts` needs no `@hutong/protocol`.
 */
import type { ImMessageView, Protocal } from '@hutong/protocol/im';
import type { ImHistoryMessage } from '../src/core/im-history.js';
import type { Protocal as ClientProtocal } from '../src/core/im-wire.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export const frameAgrees: Equal<ClientProtocal, Protocal> = true;
export const historyAgrees: Equal<ImHistoryMessage, ImMessageView> = true;
