import { randomBytes } from 'node:crypto';
import type { TunnelReceiver } from '@hutong/core';
import { HutongError } from '@hutong/protocol';
import { Tunnel, type TunnelState } from './tunnel.js';

export interface RegistryLimits {
  /** Tunnels (pending and open) this node holds at most. */
  maxTunnels: number;
  /** Tunnels one owner (user) may hold at once, when allocations name it. */
  maxTunnelsPerOwner: number;
  /** A tunnel never connected is forgotten after this long, ms. */
  pendingTtlMs: number;
}

/**
 * The tunnels of one node by id, within their limits: how many in all, how many per owner. Every
 * state change goes through `move`, so the count of open ones is kept, not recounted.
 */
export class TunnelRegistry {
  readonly #tunnels = new Map<string, Tunnel>();
  /** Per owner, how many tunnels it holds (not which: nothing asks). */
  readonly #owned = new Map<string, number>();
  #open = 0;

  constructor(readonly limits: RegistryLimits) {}

  get size(): number {
    return this.#tunnels.size;
  }

  /** Tunnels whose socket is open. */
  get connected(): number {
    return this.#open;
  }

  get full(): boolean {
    return this.#tunnels.size >= this.limits.maxTunnels;
  }

  get(id: string): Tunnel | undefined {
    return this.#tunnels.get(id);
  }

  values(): IterableIterator<Tunnel> {
    return this.#tunnels.values();
  }

  /**
   * A new pending tunnel (ERR_TUNNEL_LIMIT past a limit). Its id is 128 random bits in hex, or
   * `givenId` when adopting one another node gave out.
   */
  allocate(receiver: TunnelReceiver, owner: string | undefined, now: number, givenId?: string): Tunnel {
    const { maxTunnels, maxTunnelsPerOwner, pendingTtlMs } = this.limits;
    if (this.full) throw new HutongError('ERR_TUNNEL_LIMIT', `This node holds ${maxTunnels} tunnels already`);
    const owned = owner === undefined ? 0 : (this.#owned.get(owner) ?? 0);
    if (owner !== undefined && owned >= maxTunnelsPerOwner) {
      throw new HutongError('ERR_TUNNEL_LIMIT', `A user may hold ${maxTunnelsPerOwner} tunnels at once`);
    }
    const id = givenId ?? randomBytes(16).toString('hex');
    const tunnel = new Tunnel(id, receiver, owner, now + pendingTtlMs, now);
    this.#tunnels.set(id, tunnel);
    if (owner !== undefined) this.#owned.set(owner, owned + 1);
    return tunnel;
  }

  /** Puts `tunnel` in `state`. */
  move(tunnel: Tunnel, state: TunnelState): void {
    if (tunnel.state.phase === 'open') this.#open -= 1;
    if (state.phase === 'open') this.#open += 1;
    tunnel.state = state;
  }

  /** Drops `tunnel` (it no longer counts against any limit). */
  forget(tunnel: Tunnel): void {
    if (this.#tunnels.get(tunnel.id) !== tunnel) return;
    this.#tunnels.delete(tunnel.id);
    if (tunnel.state.phase === 'open') this.#open -= 1;
    if (tunnel.owner === undefined) return;
    const left = (this.#owned.get(tunnel.owner) ?? 1) - 1;
    if (left > 0) this.#owned.set(tunnel.owner, left);
    else this.#owned.delete(tunnel.owner);
  }

  clear(): void {
    this.#tunnels.clear();
    this.#owned.clear();
    this.#open = 0;
  }
}
