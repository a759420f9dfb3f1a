import type { MessageStore } from '@hutong/core';
import {
  encodeProtocal,
  IM_SERVER,
  IM_UNSET,
  imErrorCodes,
  imExtensionTypes,
  imHutongCodes,
  type Protocal,
} from '@hutong/protocol/im';
import type { Logger } from 'pino';
import type { ImCluster } from './im-cluster.js';
import { ackKey } from './im-delivery.js';
import type { ImDevice } from './im-device.js';
import type { ResolvedOptions } from './im-options.js';
import type { ImOutput } from './im-output.js';
import type { DeviceRegistry } from './im-registry.js';
import type { ImStats } from './im-stats.js';

/**
 * Receipts: a device's ACK of a message moves its cursor and becomes a delivery receipt (type 60)
 * for every device of the sender; a read receipt (type 61) is kept and told to the conversation's
 * other users and the reader's other devices, on every node.
 */
export class Receipts {
  constructor(
    private readonly deps: {
      store: MessageStore;
      registry: DeviceRegistry;
      cluster: ImCluster;
      output: ImOutput;
      stats: ImStats;
      options: ResolvedOptions;
      logger: Logger | undefined;
    },
  ) {}

  /** Type 4 from a recipient: `dataContent` is the fp, `to` the message's sender. Synchronous. */
  ack(device: ImDevice, frame: Protocal): void {
    const { stats } = this.deps;
    const fp = frame.dataContent;
    const sender = frame.to;
    const entry =
      typeof fp === 'string' && typeof sender === 'string'
        ? device.acknowledge(ackKey(sender, fp))
        : undefined;
    if (!entry || sender === undefined) {
      // Not a message in flight to this device: someone else's, or already acknowledged.
      stats.foreignAcks += 1;
      return;
    }
    stats.delivered += 1;
    const receipt = encodeProtocal({
      type: imExtensionTypes.deliveryReceipt,
      dataContent: JSON.stringify({ fp, by: device.userId, device: device.device }),
      from: IM_SERVER,
      to: sender,
    });
    this.toUsers([sender], receipt);
  }

  /** A read receipt `{conv, seq}`: kept, then told to the conversation's other users on every node. */
  async read(device: ImDevice, frame: Protocal): Promise<void> {
    const { store, registry, cluster, output, options } = this.deps;
    if (!device.limits.reads.take()) {
      output.error(
        device.ws,
        imHutongCodes.readsRateLimited,
        `at most ${options.maxReadsPerSecond} read receipts a second`,
      );
      return;
    }
    let conv: unknown;
    let seq: unknown;
    try {
      ({ conv, seq } = JSON.parse(frame.dataContent ?? '') as { conv?: unknown; seq?: unknown });
    } catch {}
    if (typeof conv !== 'string' || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
      output.error(device.ws, imErrorCodes.invalidProtocal, 'a read receipt is {conv, seq}');
      return;
    }
    try {
      const others = await this.#participants(conv, device.userId);
      if (!others) {
        output.error(device.ws, imHutongCodes.refused, 'not a conversation of yours');
        return;
      }
      // Never beyond the conversation's last message (a huge seq would stay and be told forever).
      const [last] = await store.historyBefore(conv, Number.MAX_SAFE_INTEGER, 1);
      const upTo = Math.min(seq, last?.seq ?? 0);
      if (upTo < 1) {
        output.error(device.ws, imErrorCodes.invalidProtocal, 'nothing to read there yet');
        return;
      }
      const kept = await store.markRead(conv, device.userId, upTo);
      const receipt = encodeProtocal({
        type: imExtensionTypes.read,
        dataContent: JSON.stringify({ conv, seq: kept, by: device.userId }),
        from: IM_SERVER,
        to: IM_UNSET,
      });
      // The reader's other devices learn it too (their unread counts).
      this.toUsers(others, receipt);
      for (const mine of registry.devicesOf(device.userId).values()) {
        if (mine !== device) output.text(mine.ws, receipt);
      }
      cluster.toOthers([device.userId], () => [{ kind: 'frame', userId: device.userId, frame: receipt }]);
    } catch (err) {
      this.deps.logger?.warn({ err }, 'IM read receipt not kept');
      output.error(device.ws, imHutongCodes.notAccepted, 'read receipt not kept');
    }
  }

  /** A ready frame for every device of these users, here and on other nodes. */
  toUsers(userIds: string[], frame: string): void {
    const { registry, cluster, output } = this.deps;
    for (const userId of userIds) {
      for (const device of registry.devicesOf(userId).values()) output.text(device.ws, frame);
    }
    cluster.toOthers(userIds, (userId) => [{ kind: 'frame', userId, frame }]);
  }

  /** The other users of a conversation `userId` belongs to; null when it is not theirs. */
  async #participants(conv: string, userId: string): Promise<string[] | null> {
    if (conv.startsWith('g:')) {
      const members = await this.deps.store.members(conv.slice(2));
      return members.includes(userId) ? members.filter((m) => m !== userId) : null;
    }
    const pair = conv.startsWith('c:') ? conv.slice(2).split('|') : [];
    if (pair.length !== 2 || !pair.includes(userId)) return null;
    return pair.filter((u) => u !== userId);
  }
}
