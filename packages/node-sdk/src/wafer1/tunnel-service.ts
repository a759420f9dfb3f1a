import type { TunnelHandler } from '@hutong/core';
import { decodePacketContent, readCallback } from '../tunnel/callback.js';
import {
  messagePacket,
  type PushResult,
  RemoteTunnelBackend,
  type TunnelBackend,
} from '../tunnel/tunnel-backend.js';
import { config as moduleConfig, type Wafer1Config } from './config.js';
import { LoginService } from './login-service.js';
import { type RequestLike, type ResponseLike, ServiceBase } from './service-base.js';

/** The Wafer 1 handler object: `onMessage` gets the decoded message type and content. */
export interface Wafer1TunnelHandler {
  onRequest?(tunnelId: string, userInfo: unknown): unknown;
  onConnect?(tunnelId: string): unknown;
  onMessage?(tunnelId: string, type: string, content: unknown): unknown;
  onClose?(tunnelId: string): unknown;
}

export interface HandleOptions {
  /** Check the session (X-WX-Id/X-WX-Skey) before handing out a tunnel. Default false. */
  checkLogin?: boolean;
  /** Where the parsed POST body is. Default `req.body` (Express with a JSON body parser). */
  getBody?: () => unknown;
}

/**
 * The Wafer 1 `TunnelService` (qcloud-weapp-server-sdk): `handle()` answers the mini program's
 * `GET` (a tunnel URL, `{url}`) and the tunnel server's signed `POST` callbacks on the same path;
 * `broadcast`, `emit` and `closeTunnel` push, resolving with `{code: 0, data: {invalidTunnelIds}}`.
 * With `config({TunnelBackend})` (a hub in the same process) events reach the handler directly.
 */
export class TunnelService extends ServiceBase {
  static config: Wafer1Config = moduleConfig;

  static backend(): TunnelBackend {
    const cfg = this.config;
    return (
      cfg.getTunnelBackend() ??
      new RemoteTunnelBackend({
        tunnelServerUrl: () => cfg.getTunnelServerUrl(),
        signatureKey: () => cfg.getTunnelSignatureKey(),
        serverHost: () => cfg.getServerHost(),
        timeoutMs: () => cfg.getNetworkTimeout(),
        checkSignature: () => cfg.getTunnelCheckSignature(),
      })
    );
  }

  static broadcast(tunnelIds: string[], type: string, content: unknown): Promise<PushResult> {
    return this.backend().push([messagePacket(tunnelIds, type, content)]);
  }

  static emit(tunnelId: string, type: string, content: unknown): Promise<PushResult> {
    return this.broadcast([tunnelId], type, content);
  }

  static closeTunnel(tunnelId: string): Promise<PushResult> {
    return this.backend().push([{ tunnelIds: [tunnelId], type: 'close' }]);
  }

  declare readonly req: RequestLike & { method?: string; url?: string; body?: unknown };

  constructor(req: RequestLike, res: ResponseLike) {
    super(req, res);
  }

  /** `protocol` of TunnelServerUrl + ServerHost (a port kept as is) + this request's path. */
  get receiveUrl(): string {
    const cfg = (this.constructor as typeof TunnelService).config;
    const protocol = new URL(cfg.getTunnelServerUrl()).protocol;
    const pathname = new URL(this.req.url ?? '/', 'http://x').pathname;
    return `${protocol}//${cfg.getServerHost()}${pathname}`;
  }

  handle(handler: Wafer1TunnelHandler = {}, options: HandleOptions = {}): void {
    const method = this.req.method ?? 'GET';
    if (method === 'GET') void this.#handleGet(handler, options);
    else if (method === 'POST') this.#handlePost(handler, options.getBody ?? (() => this.req.body));
    else this.writeJsonResult({ code: 501, message: 'Not Implemented' }, 501);
  }

  async #handleGet(handler: Wafer1TunnelHandler, options: HandleOptions): Promise<void> {
    const Self = this.constructor as typeof TunnelService;
    let userInfo: unknown = null;
    if (options.checkLogin) {
      const cfg = Self.config;
      const Login = class extends LoginService {
        static override config = cfg;
      };
      try {
        userInfo = (await new Login(this.req, this.res).check())?.userInfo ?? null;
      } catch {
        return; // check() wrote the error body the client understands
      }
    }
    let tunnelId: string;
    let connectUrl: string;
    try {
      // In process, events go straight to the handler; remotely, to this path as callbacks.
      const local: TunnelHandler = {
        onConnect: (id) => handler.onConnect?.(id),
        onMessage: (id, type, content) => handler.onMessage?.(id, type, content),
        onClose: (id) => handler.onClose?.(id),
      };
      ({ tunnelId, connectUrl } = await Self.backend().requestConnect(this.receiveUrl, local));
    } catch (error) {
      this.writeJsonResult({ error: error instanceof Error ? error.message : String(error) });
      return;
    }
    this.writeJsonResult({ url: connectUrl });
    handler.onRequest?.(tunnelId, userInfo);
  }

  #handlePost(handler: Wafer1TunnelHandler, getBody: () => unknown): void {
    const cfg = (this.constructor as typeof TunnelService).config;
    const result = readCallback(getBody(), cfg.getTunnelSignatureKey(), cfg.getTunnelCheckSignature());
    if (!result.ok) {
      this.writeJsonResult(result.body, result.status);
      return;
    }
    this.writeJsonResult({ code: 0, message: 'ok' });
    const { event } = result;
    if (event.type === 'connect') handler.onConnect?.(event.tunnelId);
    else if (event.type === 'close') handler.onClose?.(event.tunnelId);
    else if (event.type === 'message') {
      const { messageType, messageContent } = decodePacketContent(event.content);
      handler.onMessage?.(event.tunnelId, messageType, messageContent);
    }
  }
}
