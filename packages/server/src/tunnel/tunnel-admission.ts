import type { ErrorCode } from '@hutong/protocol';
import type { PreparedFrame } from './prepared-frame.js';
import type { Tunnel } from './tunnel.js';
import { refuseResume } from './tunnel-resume.js';

/** Tunnel ids are 128 random bits in hex. */
export const TUNNEL_ID = /^[0-9a-f]{32}$/;

/** What an upgrade to the connect URL asks for, from its query. */
export interface UpgradeAsk {
  tunnelId: string;
  /** `offset=N`: a resume, from the N-th message on. */
  offset: string | null;
  /** `resume=<secret>` (tunnel-resume.ts). */
  resume: string | null;
  /** `recover=1`: keep what is sent, for a resume later. */
  recover: boolean;
  /** The cluster was asked about this id already (during this upgrade). */
  asked: boolean;
}

/** A refused upgrade: a plain HTTP answer with a JSON error. */
export interface Refusal {
  status: number;
  statusText: string;
  code: ErrorCode;
  message: string;
}

/**
 * What to do with an upgrade, decided from the tunnel it names (if this node has it) and nothing
 * else (a pure function, tested as one):
 *
 * - `resume`: a recoverable tunnel (open or detached) asked from `offset` with its secret: the new
 *   socket takes the tunnel and gets the `missed` messages;
 * - `adopt`: an id this node does not know, not asked about yet: another node may have offered it;
 * - `claim`: a pending tunnel offered to the cluster: claim it before taking the socket;
 * - `open`: a pending tunnel's first socket;
 * - `refuse`: 403 (a resume without the secret), 410 (its messages are no longer kept), 404 (an
 *   unknown, expired, used or closed tunnel).
 */
export type Admission =
  | { kind: 'resume'; tunnel: Tunnel; missed: PreparedFrame[] }
  | { kind: 'adopt' }
  | { kind: 'claim'; tunnel: Tunnel }
  | { kind: 'open'; tunnel: Tunnel }
  | { kind: 'refuse'; refusal: Refusal };

const unknown: Refusal = {
  status: 404,
  statusText: 'Not Found',
  code: 'ERR_TUNNEL_UNKNOWN',
  message: 'No such tunnel, or it expired',
};

const gone: Refusal = {
  status: 410,
  statusText: 'Gone',
  code: 'ERR_TUNNEL_UNKNOWN',
  message: 'The messages since that offset are no longer kept',
};

export function admit(tunnel: Tunnel | undefined, ask: UpgradeAsk, now: number): Admission {
  const phase = tunnel?.state.phase;
  if (tunnel?.log && (phase === 'open' || phase === 'detached') && ask.offset !== null) {
    const refused = refuseResume(tunnel.resumeSecret, ask.resume);
    if (refused) return { kind: 'refuse', refusal: refused };
    const missed = tunnel.log.since(Number(ask.offset), now);
    return missed ? { kind: 'resume', tunnel, missed } : { kind: 'refuse', refusal: gone };
  }
  if (!tunnel) {
    const adoptable = !ask.asked && ask.offset === null && TUNNEL_ID.test(ask.tunnelId);
    return adoptable ? { kind: 'adopt' } : { kind: 'refuse', refusal: unknown };
  }
  const { state } = tunnel;
  if (state.phase !== 'pending' || state.expiresAt <= now) return { kind: 'refuse', refusal: unknown };
  if (state.offered && !ask.asked) return { kind: 'claim', tunnel };
  return { kind: 'open', tunnel };
}
