import type { MessageStore, StoredMessage } from '@hutong/core';
import { encodeProtocal, imTypes } from '@hutong/protocol/im';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import type { ImDevice } from './im-device.js';
import type { ImOutput } from './im-output.js';

/** The fp a recipient sees: the sender's, or `sid:<sid>` when it had none. */
const wireFp = (message: StoredMessage): string => message.fp ?? `sid:${message.sid}`;

/** What an ACK names: the message's sender and the fp the recipient saw. */
export const ackKey = (sender: string, fp: string): string => `${sender}\u0000${fp}`;

/** The key a delivered message waits for its ACK under. */
export const deliveryKey = (message: StoredMessage): string => ackKey(message.sender, wireFp(message));

/** A recipient's frame: the sender's Protocal, plus Hutong's `sid`, `seq`, `conv` (and the group). */
export function dataFrame(message: StoredMessage, to: string): string {
  const group = message.conv.startsWith('g:');
  return encodeProtocal({
    type: imTypes.data,
    dataContent: message.content,
    from: message.sender,
    to,
    fp: wireFp(message),
    QoS: true,
    typeu: message.typeu,
    sm: message.createdAt,
    sid: message.sid,
    seq: message.seq,
    conv: message.conv,
    ...(group ? { group: message.target } : {}),
  });
}

/**
 * Inbox delivery and its order: a device gets its inbox entries in `iseq` order, each once per
 * connection unless resent. Live messages are written when they are the device's next number; one
 * with a gap before it (an entry accepted elsewhere and not heard of yet) makes the device read its
 * inbox from the store instead. While a backlog read runs, live messages wait and then follow it.
 */
export class InboxDelivery {
  constructor(
    private readonly store: MessageStore,
    private readonly output: ImOutput,
    private readonly backlogPage: number,
    private readonly logger: Logger | undefined,
  ) {}

  /** A message accepted for `device`'s user, numbered `iseq` in its inbox. */
  live(device: ImDevice, iseq: number, frame: string, key: string): void {
    if (device.waiting) device.waiting.push({ iseq, frame, key });
    else if (iseq === device.next) this.#write(device, iseq, frame, key);
    else if (iseq > device.next) void this.sync(device);
  }

  /**
   * Sends the inbox after what the device has (its cursor, or what was written to it), page by
   * page; live messages wait meanwhile, then follow in order. A call while one runs makes it read
   * once more (messages another node accepted meanwhile).
   */
  async sync(device: ImDevice): Promise<void> {
    if (device.syncing) {
      device.dirty = true;
      return;
    }
    device.syncing = true;
    device.waiting = [];
    try {
      do {
        device.dirty = false;
        for (;;) {
          const after = Math.max(device.cursor, device.written);
          const page = await this.store.pending(device.userId, after, this.backlogPage);
          for (const { iseq, message } of page)
            this.#write(device, iseq, dataFrame(message, device.userId), deliveryKey(message));
          // A socket closed meanwhile (gone, a slow consumer) gets the rest at its next login.
          if (page.length < this.backlogPage || device.ws.readyState !== WebSocket.OPEN) break;
        }
      } while (device.dirty);
    } catch (err) {
      this.logger?.warn({ err, userId: device.userId }, 'IM backlog not read; it comes with the next login');
    } finally {
      const waiting = device.waiting ?? [];
      device.waiting = undefined;
      device.syncing = false;
      for (const item of waiting) this.live(device, item.iseq, item.frame, item.key);
    }
  }

  /**
   * Saves how far a device has acknowledged. Cursors are written at most once per tick and when a
   * device goes, not per ACK: after a crash a device may get up to a tick's worth of messages again
   * (it drops them by fp or sid), which costs far less than a write per message.
   */
  saveCursor(device: ImDevice): Promise<void> {
    if (device.cursor <= device.savedCursor) return Promise.resolve();
    const cursor = device.cursor;
    device.savedCursor = cursor;
    return this.store.advance(device.userId, device.device, cursor).catch((err: unknown) => {
      this.logger?.warn({ err }, 'IM cursor not saved; the device gets those messages again');
    });
  }

  #write(device: ImDevice, iseq: number, frame: string, key: string): void {
    device.written = Math.max(device.written, iseq);
    device.inFlight.set(key, { iseq, frame, sentAt: Date.now(), tries: 0 });
    this.output.text(device.ws, frame);
  }
}
