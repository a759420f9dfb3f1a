import { HutongError, type TunnelEvent, type WxUserInfo } from '@hutong/protocol';
import type { AuthTarget } from '../backend.js';
import { decodePacketContent, readCallback } from '../tunnel/callback.js';
import {
  messagePacket,
  type PushResult,
  type TunnelBackend,
  type TunnelGrant,
} from '../tunnel/tunnel-backend.js';
import { createWafer2Auth, LOGIN_STATE, type RequestLike } from './auth.js';

export interface Wafer2TunnelOptions {
  tunnel: TunnelBackend;
  auth: AuthTarget;
  /** Public host of the business server, as wafer-node-sdk's `serverHost` (a port may follow). */
  serverHost: string;
  /**
   * `http:` or `https:` for the callbacks to this server. Default: the scheme of the tunnel
   * server's URL (`RemoteTunnelBackend`'s `tunnelServerUrl`), as wafer-node-sdk does; `https:` when
   * the backend has none (in process).
   */
  protocol?: 'http:' | 'https:';
  /** Prefix of the business routes (wafer-node-sdk `rootPathname`). */
  rootPathname?: string;
  /** Key that signs callbacks (remote tunnel servers). */
  signatureKey?: string;
}

export interface Wafer2TunnelMessage extends Omit<TunnelEvent, 'content'> {
  content?: { messageType: string; messageContent: unknown } | string;
}

/**
 * The Wafer 2 tunnel API (wafer-node-sdk `tunnel`): `getTunnelUrl(req)` for a logged-in user
 * resolves `{tunnel: {tunnelId, connectUrl}, userinfo}`; `onTunnelMessage(body)` checks and decodes
 * a callback; `onTunnelMessageMiddleware` does it for Koa into `ctx.state.$wxMessage`; and
 * `broadcast`, `emit`, `closeTunnel`.
 */
export function createWafer2Tunnel(options: Wafer2TunnelOptions) {
  const auth = createWafer2Auth(options.auth);
  const key = options.signatureKey ?? '';

  function receiveUrl(req: RequestLike & { url?: string }): string {
    const pathname = `${options.rootPathname ?? ''}${new URL(req.url ?? '/', 'http://x').pathname}`;
    const protocol = options.protocol ?? options.tunnel.callbackProtocol?.() ?? 'https:';
    return `${protocol}//${options.serverHost}${pathname}`;
  }

  async function onTunnelMessage(body: unknown): Promise<Wafer2TunnelMessage> {
    const result = readCallback(body, key, key !== '');
    if (!result.ok) throw new HutongError('ERR_BAD_REQUEST', result.body.message, { details: result.body });
    const { event } = result;
    return event.type === 'message' ? { ...event, content: decodePacketContent(event.content) } : event;
  }

  return {
    async getTunnelUrl(
      req: RequestLike & { url?: string },
    ): Promise<{ tunnel: TunnelGrant; userinfo: WxUserInfo }> {
      const state = await auth.validation(req);
      if (state.loginState !== LOGIN_STATE.SUCCESS) throw new HutongError('ERR_SESSION_INVALID');
      return { tunnel: await options.tunnel.requestConnect(receiveUrl(req)), userinfo: state.userinfo };
    },
    onTunnelMessage,
    async onTunnelMessageMiddleware(
      ctx: { request: { body?: unknown }; state: Record<string, unknown> },
      next: () => Promise<unknown>,
    ) {
      ctx.state['$wxMessage'] = await onTunnelMessage(ctx.request.body);
      return next();
    },
    broadcast: (tunnelIds: string[], type: string, content: unknown): Promise<PushResult> =>
      options.tunnel.push([messagePacket(tunnelIds, type, content)]),
    emit: (tunnelId: string, type: string, content: unknown): Promise<PushResult> =>
      options.tunnel.push([messagePacket([tunnelId], type, content)]),
    closeTunnel: (tunnelId: string): Promise<PushResult> =>
      options.tunnel.push([{ tunnelIds: [tunnelId], type: 'close' }]),
  };
}
