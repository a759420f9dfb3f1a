import { randomBytes } from 'node:crypto';
import { type ErrorCode, encodeFrame, errorRegistry } from '@hutong/protocol';
import { safeEqual } from '@hutong/protocol/wechat-crypto';

/**
 * Who may resume a recoverable tunnel (docs/protocols/tunnel.md#message-recovery). The tunnel id
 * travels through the business server and the connect URL, so it is not enough: each socket of a
 * recoverable tunnel gets a resume secret in a `resume:<secret>` frame that only it sees, and a
 * resume (`offset=N`) must present it as `resume=<secret>`. The secret lasts as long as the tunnel
 * and each new socket is sent it again: rotating it would strand a client whose socket died
 * before the new secret arrived (a flapping mobile network), and recovery exists for exactly that.
 * It travels in resume URLs, so Hutong's logs redact it. Only the tunnel's owner ever saw it, so a resume that
 * presents it while the server still holds a socket proves that socket stale (half-open after the
 * phone changed networks, which the server would notice only after two heartbeats): the resume
 * replaces it, so no message is lost to the wait. Without the secret a resume changes nothing.
 */

/** Query parameter of a resume that carries the secret. */
export const RESUME_PARAM = 'resume';

/** A new resume secret: 128 random bits, base64url (22 characters, URL-safe). */
export function newResumeSecret(): string {
  return randomBytes(16).toString('base64url');
}

/** The Hutong extension frame that hands a socket its resume secret (official clients ignore it). */
export function resumeFrame(secret: string): string {
  return encodeFrame('resume', secret);
}

export interface ResumeRefusal {
  status: number;
  statusText: string;
  code: ErrorCode;
  message: string;
}

const refusal = (code: 'ERR_TUNNEL_RESUME', statusText: string): ResumeRefusal => ({
  status: errorRegistry[code].status,
  statusText,
  code,
  message: errorRegistry[code].message,
});

/**
 * Why a resume may not take the tunnel, or undefined when it may: the secret, checked in constant
 * time, so a caller without it learns nothing about the tunnel's socket.
 */
export function refuseResume(
  expected: string | undefined,
  presented: string | null,
): ResumeRefusal | undefined {
  if (expected === undefined || presented === null || !safeEqual(presented, expected)) {
    return refusal('ERR_TUNNEL_RESUME', 'Forbidden');
  }
  return undefined;
}
