import { conversationOf, type MessageStore } from '@hutong/core';
import {
  IM_SERVER,
  IM_UNSET,
  imErrorCodes,
  imHutongCodes,
  type Protocal,
  serverFrames,
} from '@hutong/protocol/im';
import type { Logger } from 'pino';
import type { ImCluster } from './im-cluster.js';
import { dataFrame, deliveryKey, type InboxDelivery } from './im-delivery.js';
import type { ImDevice } from './im-device.js';
import type { ImHooks, ResolvedOptions } from './im-options.js';
import { validUserId } from './im-options.js';
import type { ImOutput } from './im-output.js';
import type { DeviceRegistry } from './im-registry.js';
import type { ImStats } from './im-stats.js';

/** Bounds of the wait a busy node asks a sender for (1504's `retryAfterMs`). */
const RETRY_AFTER_MIN_MS = 100;
const RETRY_AFTER_MAX_MS = 5000;

/**
 * Message intake: a data frame becomes a stored message (conversation `seq`, server `sid`, an inbox
 * entry per recipient) before the sender's ACK, then goes to the recipients' devices here and is
 * signalled to the nodes holding their other devices.
 *
 * Backpressure: at most `maxPendingAccepts` accepts wait for the store at once on this node; a data
 * frame beyond that is refused with 1504 and a `retryAfterMs` (twice the store's recent accept
 * time), which the client honours before sending again. A store that falls behind so slows its
 * senders instead of growing a queue until their resends turn it into duplicates.
 */
export class MessageIntake {
  #pending = 0;
  /** Smoothed time an accept takes (ms), for `retryAfterMs`. */
  #acceptMs = 0;

  constructor(
    private readonly deps: {
      store: MessageStore;
      registry: DeviceRegistry;
      delivery: InboxDelivery;
      cluster: ImCluster;
      output: ImOutput;
      stats: ImStats;
      hooks: ImHooks;
      options: ResolvedOptions;
      logger: Logger | undefined;
    },
  ) {}

  /** Accepts waiting for the store on this node now. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Refuses a data frame for now: the node or the connection is behind. The sender is asked to
   * wait twice the store's recent accept time, or as long as the frame waited for its turn.
   */
  busy(device: ImDevice, frame: Protocal, waitedMs = 0): void {
    this.deps.stats.busy += 1;
    const wait = Math.round(Math.max(2 * this.#acceptMs, waitedMs));
    const retryAfterMs = Math.min(RETRY_AFTER_MAX_MS, Math.max(RETRY_AFTER_MIN_MS, wait));
    this.deps.output.error(device.ws, imHutongCodes.busy, 'server busy: send it again later', {
      fp: frame.fp ?? null,
      retryAfterMs,
    });
  }

  async data(device: ImDevice, frame: Protocal): Promise<void> {
    const { store, registry, delivery, cluster, output, stats, hooks, options } = this.deps;
    const now = Date.now();
    const fp = frame.fp ?? null;
    const refuse = (code: number, text: string) => output.error(device.ws, code, text, { fp });
    if (!device.limits.messages.take(now)) {
      refuse(imHutongCodes.rateLimited, `at most ${options.maxMessagesPerSecond} messages a second`);
      return;
    }
    if (frame.from !== device.userId) {
      refuse(imErrorCodes.invalidProtocal, '`from` must be the logged-in user');
      return;
    }
    const to = frame.to ?? IM_UNSET;
    const group = to.startsWith('g:');
    const target = group ? to.slice(2) : to;
    // A user id with `|` would make `c:<a>|<b>` name another conversation: no such user can log in.
    if (!target || target === IM_UNSET || target === IM_SERVER || (!group && !validUserId(target))) {
      refuse(imErrorCodes.invalidProtocal, '`to` must name a user (no `|`, not 0 or -1) or a group (g:<id>)');
      return;
    }
    if (this.#pending >= options.maxPendingAccepts) {
      this.busy(device, frame);
      return;
    }
    const content = frame.dataContent ?? '';
    const typeu = frame.typeu ?? -1;
    this.#pending += 1;
    try {
      if (
        hooks.beforeForward &&
        !(await hooks.beforeForward({ from: device.userId, to: target, group, typeu, content }))
      ) {
        refuse(imHutongCodes.refused, 'refused by the business side');
        return;
      }
      let recipients = [target];
      if (group) {
        const members = await store.members(target);
        if (!members.includes(device.userId)) {
          refuse(imHutongCodes.refused, 'not a member of that group');
          return;
        }
        recipients = members.filter((m) => m !== device.userId);
      }
      const started = Date.now();
      const accepted = await store.accept({
        conv: conversationOf(device.userId, target, group),
        sender: device.userId,
        target,
        recipients,
        fp,
        typeu,
        content,
        createdAt: now,
      });
      this.#acceptMs = 0.8 * this.#acceptMs + 0.2 * (Date.now() - started);
      const { message } = accepted;
      if (fp !== null) {
        // The sender's ACK means "accepted": stored, numbered, on its way.
        output.send(device.ws, {
          ...serverFrames.ack(to, device.userId, fp),
          sid: message.sid,
          seq: message.seq,
          conv: message.conv,
        });
      }
      if (accepted.duplicate) {
        stats.duplicates += 1;
        return;
      }
      stats.accepted += 1;
      const key = deliveryKey(message);
      const { inbox } = accepted;
      // Each recipient's frame is encoded once, for its devices here and the signals to other
      // nodes (which ask for it only when there are such nodes).
      const frames: (string | undefined)[] = new Array(inbox.length);
      const frameAt = (i: number): string => (frames[i] ??= dataFrame(message, inbox[i]!.userId));
      // Which recipients had a device here: built only for a hook that asks.
      const reached: { userId: string; online: boolean }[] | undefined = hooks.afterForward ? [] : undefined;
      for (let i = 0; i < inbox.length; i += 1) {
        const { userId, iseq } = inbox[i]!;
        const devices = registry.devicesOf(userId);
        for (const target of devices.values()) delivery.live(target, iseq, frameAt(i), key);
        reached?.push({ userId, online: devices.size > 0 });
      }
      // Other nodes get the entry itself: a device there whose next entry it is needs no store read.
      cluster.toOthers(
        inbox.map((entry) => entry.userId),
        (userId) => {
          const i = inbox.findIndex((entry) => entry.userId === userId);
          return [{ kind: 'inbox', userId, iseq: inbox[i]!.iseq, message: { frame: frameAt(i), key } }];
        },
      );
      if (reached) hooks.afterForward?.(message, reached);
    } catch (err) {
      this.deps.logger?.warn({ err }, 'IM message not accepted');
      refuse(imHutongCodes.notAccepted, 'not stored; send it again');
    } finally {
      this.#pending -= 1;
    }
  }
}
