/**
 * Which nodes are live, known locally so that asking costs no round trip. Three sources:
 * - `refresh`: the backend's list of nodes with the time each liveness key has left (read on the
 *   heartbeat interval). A node is live until its key would expire, so one that dies without a
 *   word drops out when its key does: within the node TTL of its last heartbeat.
 * - `up`: a node announced its start; live for a node TTL, until a refresh says more.
 * - `down`: a node announced it is closing; gone at once.
 *
 * A refresh was read before it arrives: announcements heard after it was sent win over it (a node
 * that started after the read is kept, one that closed after it is not brought back).
 */

export interface LiveNodesOptions {
  /** How long a node is live after it announced its start, ms. */
  nodeTtlMs: number;
  /** Epoch ms. */
  now?: () => number;
}

export class LiveNodes {
  readonly #ttlMs: number;
  readonly #now: () => number;
  /** Live until (epoch ms), per node. */
  readonly #until = new Map<string, number>();
  /** When each node was last announced, up or down: what a refresh sent earlier must not undo. */
  readonly #announced = new Map<string, { up: boolean; at: number }>();

  constructor(options: LiveNodesOptions) {
    this.#ttlMs = options.nodeTtlMs;
    this.#now = options.now ?? Date.now;
  }

  isLive(nodeId: string): boolean {
    return (this.#until.get(nodeId) ?? 0) > this.#now();
  }

  /** The nodes live now. */
  list(): string[] {
    const now = this.#now();
    return [...this.#until].filter(([, until]) => until > now).map(([node]) => node);
  }

  up(nodeId: string): void {
    const now = this.#now();
    this.#until.set(nodeId, now + this.#ttlMs);
    this.#announced.set(nodeId, { up: true, at: now });
  }

  down(nodeId: string): void {
    this.#until.delete(nodeId);
    this.#announced.set(nodeId, { up: false, at: this.#now() });
  }

  /**
   * Replaces the view with the backend's, read at `sentAt` (epoch ms, when the read was sent):
   * `ttls` gives each live node's remaining time, ms.
   */
  refresh(ttls: ReadonlyMap<string, number>, sentAt: number): void {
    // From `sentAt`, not now: each key was read after it, so its expiry is no earlier than this.
    const until = new Map<string, number>();
    for (const [node, ttl] of ttls) until.set(node, sentAt + ttl);
    for (const [node, heard] of this.#announced) {
      if (heard.at < sentAt) {
        // Older than the read: the read knows better, and the note is no longer needed.
        this.#announced.delete(node);
      } else if (heard.up) {
        until.set(node, Math.max(until.get(node) ?? 0, heard.at + this.#ttlMs));
      } else {
        until.delete(node);
      }
    }
    this.#until.clear();
    for (const [node, at] of until) this.#until.set(node, at);
  }

  /** Forgets everything (closing). */
  clear(): void {
    this.#until.clear();
    this.#announced.clear();
  }
}
