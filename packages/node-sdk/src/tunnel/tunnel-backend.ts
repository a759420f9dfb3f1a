import { createHash } from 'node:crypto';
import {
  HandlerReceiver,
  type RoomsResult,
  type TunnelGrant,
  type TunnelHandler,
  type TunnelPort,
  WebhookReceiver,
} from '@hutong/core';
import { encodeMessage, HutongError, type PushPacket, type RoomsRequest } from '@hutong/protocol';
import { checkTunnelSignature } from '@hutong/protocol/wafer-signature';
import { signedCall } from '../signed-call.js';

export type { RoomsResult, TunnelGrant } from '@hutong/core';

/** What the tunnel server answers a push with (the Wafer SDKs' promise result). */
export interface PushResult {
  code: 0;
  message: string;
  data: { invalidTunnelIds: string[] };
}

/**
 * How a business server reaches the tunnel server: Hutong's `/tunnel` API over HTTP (or any
 * Wafer tunnel server), or a TunnelHub in the same process. `handler`, when given, receives the
 * tunnel's events in process; otherwise they are POSTed to `receiveUrl`.
 */
export interface TunnelBackend {
  requestConnect(receiveUrl: string, handler?: TunnelHandler, owner?: string): Promise<TunnelGrant>;
  push(packets: (PushPacket & { rooms?: string[] })[]): Promise<PushResult>;
  /** Hutong's room extension. */
  rooms(request: RoomsRequest): Promise<RoomsResult>;
  /**
   * The scheme of the tunnel server's URL, which the Wafer SDKs also use for the callbacks to the
   * business server (wafer-node-sdk builds `receiveUrl` with it). Absent: the backend has no URL.
   */
  callbackProtocol?(): 'http:' | 'https:';
}

export const messagePacket = (tunnelIds: string[], type: string, content: unknown): PushPacket => ({
  tunnelIds,
  type: 'message',
  content: encodeMessage(type, content),
});

/** Hutong in the same process: its TunnelRouter, a TunnelPort (pushes reach every node of a cluster). */
export class LocalTunnelBackend implements TunnelBackend {
  constructor(
    readonly router: TunnelPort,
    private readonly key = '',
  ) {}

  async requestConnect(receiveUrl: string, handler?: TunnelHandler, owner?: string): Promise<TunnelGrant> {
    const receiver = handler
      ? new HandlerReceiver(handler)
      : new WebhookReceiver(receiveUrl, { key: this.key });
    return this.router.allocate(receiver, owner);
  }

  async push(packets: (PushPacket & { rooms?: string[] })[]): Promise<PushResult> {
    return { code: 0, message: 'OK', data: await this.router.push(packets) };
  }

  async rooms(request: RoomsRequest): Promise<RoomsResult> {
    return this.router.applyRooms(request);
  }
}

export interface RemoteTunnelOptions {
  /** e.g. `http://hutong:5757/tunnel`. */
  tunnelServerUrl: string | (() => string);
  signatureKey: string | (() => string);
  /** `md5(ServerHost)` as the Wafer SDKs send it; informational. */
  serverHost?: string | (() => string);
  timeoutMs?: number | (() => number);
  /** Check the signature of `get/wsurl` replies (Wafer's TunnelCheckSignature). Default true. */
  checkSignature?: boolean | (() => boolean);
}

const read = <T>(value: T | (() => T)): T => (typeof value === 'function' ? (value as () => T)() : value);

/** The Wafer tunnel server API over HTTP (docs/protocols/tunnel.md#server-api), signed both ways. */
export class RemoteTunnelBackend implements TunnelBackend {
  constructor(private readonly options: RemoteTunnelOptions) {}

  callbackProtocol(): 'http:' | 'https:' {
    return new URL(read(this.options.tunnelServerUrl)).protocol === 'http:' ? 'http:' : 'https:';
  }

  private call(path: string, payload: unknown, withKey: boolean): Promise<Record<string, unknown>> {
    const key = read(this.options.signatureKey);
    const tcId = createHash('md5')
      .update(read(this.options.serverHost ?? ''))
      .digest('hex');
    return signedCall(`${read(this.options.tunnelServerUrl).replace(/\/+$/, '')}${path}`, payload, key, {
      timeoutMs: read(this.options.timeoutMs ?? 30_000),
      extra: { tcId, ...(withKey ? { tcKey: key } : {}) },
    });
  }

  async requestConnect(receiveUrl: string): Promise<TunnelGrant> {
    const reply = await this.call('/get/wsurl', { receiveUrl, protocolType: 'wss' }, true);
    const data = String(reply['data']);
    if (read(this.options.checkSignature ?? true)) {
      if (!checkTunnelSignature(data, String(reply['signature'] ?? ''), read(this.options.signatureKey))) {
        throw new HutongError('ERR_TUNNEL_SIGNATURE', '签名校验失败');
      }
    }
    return JSON.parse(data) as TunnelGrant;
  }

  async push(packets: (PushPacket & { rooms?: string[] })[]): Promise<PushResult> {
    return (await this.call('/ws/push', packets, false)) as unknown as PushResult;
  }

  async rooms(request: RoomsRequest): Promise<RoomsResult> {
    return (await this.call('/rooms', request, false))['data'] as RoomsResult;
  }
}
