import type { MessageStore } from '@hutong/core';
import { HutongError } from '@hutong/protocol';
import { signedCall } from '../signed-call.js';

/**
 * Hutong's IM administration for business servers: group membership. In the same process it
 * writes the message store; remotely it calls `POST /im/groups`, signed with the tunnel signature
 * key.
 */
export class HutongIm {
  readonly #target: { store: MessageStore } | { url: string; key: string };

  constructor(target: { store: MessageStore } | { url: string; key: string }) {
    this.#target = target;
  }

  /** Replaces a group's members; resolves with them as stored. */
  async setGroupMembers(groupId: string, members: readonly string[]): Promise<string[]> {
    const target = this.#target;
    if ('store' in target) {
      await target.store.setMembers(groupId, members);
      return target.store.members(groupId);
    }
    const reply = await signedCall(
      `${target.url.replace(/\/+$/, '')}/im/groups`,
      { groupId, members },
      target.key,
      {
        service: '即时通讯',
        timeoutMs: 10_000,
      },
    );
    const data = reply['data'] as { members?: unknown } | undefined;
    if (!Array.isArray(data?.members)) {
      throw new HutongError('ERR_TUNNEL_UNAVAILABLE', '即时通讯服务器响应格式错误：没有 members');
    }
    return data.members as string[];
  }
}
