/** The ImHub's options, hooks and login verdicts, with their defaults (docs/im.md). */
import type { MessageStore, Presence, SignalBus, StoredMessage } from '@hutong/core';
import { IM_SERVER, IM_UNSET } from '@hutong/protocol/im';
import type { Logger } from 'pino';
import { imLimitDefaults } from './im-limits.js';

/**
 * A login check's answer. `expiresAt` (ms): the login is bound to a session ending then — the
 * connection is checked again at that time (closed with imCloseCodes.sessionExpired if the session
 * is gone) and `endSession` of the user without a token closes it.
 */
export type LoginVerdict = { ok: true; expiresAt?: number } | { ok: false; code: number };

export interface ImHooks {
  /** Before a message is stored and forwarded; false refuses it (the sender gets error 1403). */
  beforeForward?(message: {
    from: string;
    to: string;
    group: boolean;
    typeu: number;
    content: string;
  }): boolean | Promise<boolean>;
  /** After a message was stored and handed to the recipients' connected devices. */
  afterForward?(message: StoredMessage, recipients: { userId: string; online: boolean }[]): void;
  online?(userId: string, device: string): void;
  offline?(userId: string, device: string): void;
}

export interface ImHubOptions {
  store: MessageStore;
  /** Checks a login's token for `userId`. */
  verifyLogin(login: { userId: string; token: string; extra: string | null }): Promise<LoginVerdict>;
  /** A connection silent this long is closed (MobileIMSDK's server default: 20 s). */
  idleSeconds?: number;
  /** One connection per user, as MobileIMSDK (default: one per device, devices named in `extra`). */
  singleDevice?: boolean;
  /**
   * Resend an unacknowledged message after this long at least. Default 3000 ms. A device's resend
   * time follows its measured ACK round trip above that (RFC 6298) and doubles with each resend,
   * up to `maxResendMs` (default 60 s).
   */
  resendMs?: number;
  maxResendMs?: number;
  /** Resends per message per connection; then it waits for the device's next login. Default 3. */
  maxResends?: number;
  /** Messages a device is sent per backlog page. Default 200. */
  backlogPage?: number;
  /** Data frames per connection per second (bursts of twice that). Default 50. */
  maxMessagesPerSecond?: number;
  /** Read receipts per connection per second (bursts of twice that; then error 1430). Default 10. */
  maxReadsPerSecond?: number;
  /** Frames a connection may send before its login is accepted at once (any type). Default 10. */
  preLoginBurst?: number;
  /** …and per second after that; more closes the connection (4029). Default 5. */
  preLoginPerSecond?: number;
  /** Bytes queued for one socket past which it is closed as a slow consumer (4008). Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Devices of one user on this node; a login of one more is refused (1028). Default 10. */
  maxDevicesPerUser?: number;
  /** Bytes of frames one connection may have queued; a data frame past it is refused with 1504. Default 1 MiB. */
  maxQueuedBytes?: number;
  /** Data frames waiting for the store on this node; past it they are refused with 1504. Default 4096. */
  maxPendingAccepts?: number;
  /** Milliseconds a data frame may wait for its turn on its connection; later it gets 1504. Default 1000. */
  maxQueueWaitMs?: number;
  hooks?: ImHooks;
  logger?: Logger;
  /** Every error frame sent to a client (metrics): MobileIMSDK's code and the message. */
  onError?: (code: number, message: string) => void;
  /**
   * The cluster: presence of users' devices and signals between nodes. Every node must share one
   * MessageStore (MySQL or PostgreSQL); a node reads other nodes' messages from it.
   */
  broker?: Presence & SignalBus;
}

/** User ids name conversations (`c:<a>|<b>`) and must not look like a group (`g:…`) or the server. */
export const validUserId = (id: string) =>
  !id.includes('|') && !id.startsWith('g:') && id !== IM_SERVER && id !== IM_UNSET;

/** The device a login names: `extra` may be JSON with a `deviceId`; otherwise `default`. */
export function deviceOf(extra: string | null | undefined): string {
  if (!extra) return 'default';
  try {
    const value = JSON.parse(extra) as { deviceId?: unknown };
    if (typeof value?.deviceId === 'string' && /^[\w.:-]{1,64}$/.test(value.deviceId)) return value.deviceId;
  } catch {}
  return 'default';
}

export type ResolvedOptions = Required<
  Omit<ImHubOptions, 'hooks' | 'logger' | 'verifyLogin' | 'store' | 'broker' | 'onError'>
>;

/** The options with their defaults (docs/im.md#limits). */
export function resolveOptions(options: ImHubOptions): ResolvedOptions {
  return {
    idleSeconds: options.idleSeconds ?? 20,
    singleDevice: options.singleDevice ?? false,
    resendMs: options.resendMs ?? 3000,
    maxResendMs: options.maxResendMs ?? imLimitDefaults.maxResendMs,
    maxResends: options.maxResends ?? 3,
    backlogPage: options.backlogPage ?? 200,
    maxMessagesPerSecond: options.maxMessagesPerSecond ?? 50,
    maxReadsPerSecond: options.maxReadsPerSecond ?? imLimitDefaults.maxReadsPerSecond,
    preLoginBurst: options.preLoginBurst ?? imLimitDefaults.preLoginBurst,
    preLoginPerSecond: options.preLoginPerSecond ?? imLimitDefaults.preLoginPerSecond,
    maxBufferedBytes: options.maxBufferedBytes ?? imLimitDefaults.maxBufferedBytes,
    maxDevicesPerUser: options.maxDevicesPerUser ?? imLimitDefaults.maxDevicesPerUser,
    maxQueuedBytes: options.maxQueuedBytes ?? imLimitDefaults.maxQueuedBytes,
    maxPendingAccepts: options.maxPendingAccepts ?? imLimitDefaults.maxPendingAccepts,
    maxQueueWaitMs: options.maxQueueWaitMs ?? imLimitDefaults.maxQueueWaitMs,
  };
}
