import { HutongError } from '@hutong/protocol';
import { tunnelSignature } from '@hutong/protocol/wafer-signature';
import type { MessageStore } from '@hutong/server';

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
    const data = JSON.stringify({ groupId, members });
    let response: Response;
    try {
      response = await fetch(`${target.url.replace(/\/+$/, '')}/im/groups`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data, signature: tunnelSignature(data, target.key) }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (cause) {
      throw new HutongError('ERR_TUNNEL_UNAVAILABLE', 'Hutong could not be reached', { cause });
    }
    const body = (await response.json().catch(() => null)) as { data?: { members?: string[] } } | null;
    if (!response.ok || !Array.isArray(body?.data?.members)) {
      throw new HutongError('ERR_TUNNEL_UNAVAILABLE', `Hutong answered ${response.status} to /im/groups`);
    }
    return body.data.members;
  }
}
