import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TunnelReceiver } from '@hutong/core';
import type { Server } from 'ws';
import { rejectUpgrade } from '../http/upgrade-router.js';
import type { PreparedFrame } from './prepared-frame.js';
import { RecoveryLog } from './recovery-log.js';
import type { Tunnel, TunnelSocket } from './tunnel.js';
import { admit, type Refusal, type UpgradeAsk } from './tunnel-admission.js';
import type { TunnelHubOptions } from './tunnel-hub-options.js';
import type { TunnelRegistry } from './tunnel-registry.js';
import { RESUME_PARAM } from './tunnel-resume.js';

export interface UpgradeOptions {
  pendingTtlMs: number;
  recoveryWindowMs: number;
  recoveryMaxMessages: number;
  adopt?: TunnelHubOptions['adopt'];
  /** A tunnel another node offered, allocated here under its id. */
  allocate(receiver: TunnelReceiver, owner: string | undefined, id: string): void;
  /** A tunnel's first socket. */
  open(tunnel: Tunnel, ws: TunnelSocket): void;
  /** A resume's socket, and the messages it missed. */
  resume(tunnel: Tunnel, ws: TunnelSocket, missed: PreparedFrame[]): void;
}

const refuse = (socket: Duplex, refusal: Refusal) =>
  rejectUpgrade(
    socket,
    refusal.status,
    refusal.statusText,
    JSON.stringify({ error: { code: refusal.code, message: refusal.message } }),
  );

/**
 * Upgrades to a tunnel's connect URL (CONNECT_PATH), carried out as `admit` (tunnel-admission.ts)
 * decides: a first socket opens its tunnel, a resume takes it over, a tunnel of another node is
 * asked for in the cluster, and everything else gets its HTTP refusal.
 */
export class TunnelUpgrades {
  constructor(
    private readonly registry: TunnelRegistry,
    private readonly wss: Server<typeof TunnelSocket>,
    private readonly options: UpgradeOptions,
  ) {}

  /**
   * Upgrade handler for CONNECT_PATH: carries out what `admit` decides for the tunnel the URL
   * names (`tunnelId`, and `recover=1`, `offset=N`, `resume=<secret>`). While the cluster is asked
   * about a tunnel (`adopt`), the socket is held paused and left alone if it goes away.
   */
  handle = (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL, asked = false): void => {
    const query = url.searchParams;
    const ask: UpgradeAsk = {
      tunnelId: query.get('tunnelId') ?? '',
      offset: query.get('offset'),
      resume: query.get(RESUME_PARAM),
      recover: query.get('recover') === '1',
      asked,
    };
    const tunnel = this.registry.get(ask.tunnelId);
    const admission = admit(tunnel, ask, Date.now());
    const again = () => this.handle(req, socket, head, url, true);
    switch (admission.kind) {
      case 'refuse':
        refuse(socket, admission.refusal);
        return;
      case 'resume':
        this.wss.handleUpgrade(req, socket, head, (ws) =>
          this.options.resume(admission.tunnel, ws, admission.missed),
        );
        return;
      case 'open': {
        const opened = admission.tunnel;
        // The socket is this tunnel's from now: a second upgrade with the same id is refused.
        this.registry.move(opened, {
          phase: 'claiming',
          expiresAt: Date.now() + this.options.pendingTtlMs,
        });
        if (ask.recover) {
          opened.log = new RecoveryLog(this.options.recoveryWindowMs, this.options.recoveryMaxMessages);
        }
        this.wss.handleUpgrade(req, socket, head, (ws) => this.options.open(opened, ws));
        return;
      }
      case 'adopt':
        // Allocated on another node (the balancer sent the socket here): take it over if offered.
        if (!this.#askCluster(ask.tunnelId, socket, again, undefined)) {
          refuse(socket, {
            status: 404,
            statusText: 'Not Found',
            code: 'ERR_TUNNEL_UNKNOWN',
            message: 'No such tunnel, or it expired',
          });
        }
        return;
      case 'claim':
        // Offered to the cluster: claim it first, so no other node takes a second socket for it.
        this.#askCluster(ask.tunnelId, socket, again, admission.tunnel);
        return;
    }
  };

  /**
   * Asks the cluster for tunnel `id` (`adopt`) while the upgrade waits; false when this hub has no
   * cluster to ask. `offered`: this node's own pending tunnel, claimed before its socket is taken
   * (taken anyway when the broker is down: nobody else can claim it either); without it, one
   * another node offered, allocated here when found.
   */
  #askCluster(id: string, socket: Duplex, then: () => void, offered: Tunnel | undefined): boolean {
    const adopt = this.options.adopt;
    if (!adopt) return false;
    const registry = this.registry;
    if (offered?.state.phase === 'pending') {
      registry.move(offered, { phase: 'claiming', expiresAt: offered.state.expiresAt });
    }
    const unclaim = (tunnel: Tunnel) => {
      if (tunnel.state.phase === 'claiming') {
        registry.move(tunnel, { phase: 'pending', expiresAt: tunnel.state.expiresAt, offered: false });
      }
    };
    socket.pause();
    adopt(id).then(
      (found) => {
        if (socket.destroyed) return offered && unclaim(offered);
        socket.resume();
        if (offered) {
          if (found) unclaim(offered);
          else {
            registry.forget(offered);
            return refuse(socket, {
              status: 404,
              statusText: 'Not Found',
              code: 'ERR_TUNNEL_UNKNOWN',
              message: 'Taken by another node',
            });
          }
        } else if (found && !registry.get(id)) {
          try {
            this.options.allocate(found.receiver, found.owner, id);
          } catch {
            return refuse(socket, {
              status: 429,
              statusText: 'Too Many Requests',
              code: 'ERR_TUNNEL_LIMIT',
              message: 'This node holds all the tunnels it may',
            });
          }
        }
        then();
      },
      () => {
        if (offered) unclaim(offered);
        if (socket.destroyed) return;
        socket.resume();
        if (offered) then();
        else
          refuse(socket, {
            status: 503,
            statusText: 'Service Unavailable',
            code: 'ERR_STORE_UNAVAILABLE',
            message: 'Cannot look the tunnel up',
          });
      },
    );
    return true;
  }
}
