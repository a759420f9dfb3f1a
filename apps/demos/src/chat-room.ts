import { encodeMessage, type WxUserInfo } from '@hutong/protocol';
import { HandlerReceiver, type TunnelHub } from '@hutong/server';

/**
 * The Wafer demo chat room on the tunnel hub, in process: on connect everyone gets
 * `people {total, enter}` and the newcomer alone `members {list}` (who is here), a `speak {word}`
 * becomes `speak {who, word}` for everyone, and on close `people {total, leave}`. Users are known
 * from the session that asked for the tunnel.
 */
export class ChatRoom {
  /** Tunnels asked for but not connected yet, with when they were asked for. */
  readonly #pending = new Map<string, { user: WxUserInfo; at: number }>();
  readonly #members = new Map<string, WxUserInfo>();
  readonly #receiver: HandlerReceiver;
  readonly #sweeper: NodeJS.Timeout;

  constructor(private readonly hub: TunnelHub) {
    this.#receiver = new HandlerReceiver({
      onConnect: (id) => this.#enter(id),
      onMessage: (id, type, content) => this.#message(id, type, content),
      onClose: (id) => this.#leave(id),
    });
    this.#sweeper = setInterval(() => {
      const stale = Date.now() - 120_000;
      for (const [id, entry] of this.#pending) if (entry.at < stale) this.#pending.delete(id);
    }, 60_000).unref();
  }

  get total(): number {
    return this.#members.size;
  }

  /** A tunnel into the room for `user`: what the Wafer 2 client expects under `data`. */
  open(user: WxUserInfo): { tunnelId: string; connectUrl: string } {
    const tunnel = this.hub.allocate(this.#receiver, user.openId);
    this.#pending.set(tunnel.tunnelId, { user, at: Date.now() });
    return tunnel;
  }

  close(): void {
    clearInterval(this.#sweeper);
  }

  #send(tunnelIds: string[], type: string, content: unknown): void {
    if (tunnelIds.length === 0) return;
    this.hub.push([{ tunnelIds, type: 'message', content: encodeMessage(type, content) }]);
  }

  #broadcast(type: string, content: unknown): void {
    this.#send([...this.#members.keys()], type, content);
  }

  #enter(id: string): void {
    const user = this.#pending.get(id)?.user ?? {};
    this.#pending.delete(id);
    this.#members.set(id, user);
    this.#send([id], 'members', { list: [...this.#members.values()] });
    this.#broadcast('people', { total: this.#members.size, enter: user });
  }

  #message(id: string, type: string, content: unknown): void {
    const who = this.#members.get(id);
    if (!who || type !== 'speak') return;
    const word = (content as { word?: unknown } | null)?.word;
    if (typeof word !== 'string' || word.length === 0 || word.length > 2000) return;
    this.#broadcast('speak', { who, word });
  }

  #leave(id: string): void {
    const user = this.#members.get(id);
    if (!user) return;
    this.#members.delete(id);
    this.#broadcast('people', { total: this.#members.size, leave: user });
  }
}
