import { asHutongError, type WebhookOptions, WebhookReceiver } from '@hutong/core';
import {
  decode,
  HutongError,
  PushData,
  parseJson,
  type Result,
  RoomsRequest,
  SignedRequest,
  WsUrlData,
} from '@hutong/protocol/schemas';
import { checkTunnelSignature, tunnelSignature } from '@hutong/protocol/wafer-signature';
import { safeEqual } from '@hutong/protocol/wechat-crypto';
import type { FastifyPluginAsync } from 'fastify';
import { parseSignedEnvelope } from './signed-envelope.js';
import { tunnelHubDefaults } from './tunnel-hub-options.js';
import type { TunnelRouter } from './tunnel-router.js';

export interface TunnelRoutesOptions {
  /** This node's hub and the way to the others. */
  router: TunnelRouter;
  /** The configured signature key(s). Keys are never learned from callers. */
  keys: readonly string[];
  webhook?: Omit<WebhookOptions, 'key'>;
  /**
   * Largest `ws/push` body, bytes. Default 4 MiB: `data` may hold 1 Mi characters, escaped. The
   * envelope is scanned, not parsed, so the size costs a linear scan before the signature check.
   */
  pushBodyLimit?: number;
  /** Largest `get/wsurl` and `rooms` body, bytes. Default 64 KiB. */
  bodyLimit?: number;
  /**
   * Hosts a `receiveUrl` may name (`get/wsurl`): `host`, `host:port` or `*.domain` (any subdomain),
   * case-insensitive. Absent or empty: any host. Another one is refused with ERR_TUNNEL_RECEIVE_HOST.
   */
  receiveHosts?: readonly string[];
}

/**
 * One webhook receiver per (receiveUrl, key), shared by every tunnel a business server asks for:
 * a receiver holds no per-tunnel state, and thousands of tunnels of one business server need not
 * carry thousands of copies. The newest `max` pairs are kept.
 */
class ReceiverCache {
  readonly #receivers = new Map<string, WebhookReceiver>();

  constructor(
    private readonly make: (url: string, key: string) => WebhookReceiver,
    private readonly max = 1024,
  ) {}

  get(url: string, key: string): WebhookReceiver {
    const id = `${key.length}:${key}${url}`;
    let receiver = this.#receivers.get(id);
    if (receiver) return receiver;
    receiver = this.make(url, key);
    if (this.#receivers.size >= this.max) this.#receivers.delete(this.#receivers.keys().next().value!);
    this.#receivers.set(id, receiver);
    return receiver;
  }
}

/** Whether `url`'s host is one of `allowed` (`host`, `host:port`, `*.domain`); any when none are listed. */
export function receiveHostAllowed(url: URL, allowed: readonly string[] | undefined): boolean {
  if (!allowed || allowed.length === 0) return true;
  const hostname = url.hostname.toLowerCase();
  const host = url.host.toLowerCase();
  return allowed.some((entry) => {
    const rule = entry.trim().toLowerCase();
    if (rule.startsWith('*.')) return hostname.endsWith(rule.slice(1)) && hostname.length > rule.length - 1;
    return rule === hostname || rule === host;
  });
}

/**
 * `ServerHost` with a port comes out of the Node SDK's `url.format` bracketed, as in
 * `http://[example.com:8080]/tunnel`; such a URL is repaired. IPv6 literals are left alone.
 */
export function repairReceiveUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)\[([^\]:]+):(\d+)\]/i, '$1$2:$3');
}

export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw result.error;
  return result.value;
}

/** Checks the signature (and `tcKey`, when sent) against the configured keys; returns the key. */
export function verifySigned(request: SignedRequest, keys: readonly string[]): string {
  const key = keys.find((k) => checkTunnelSignature(request.data, request.signature, k));
  if (!key) throw new HutongError('ERR_TUNNEL_SIGNATURE');
  if (request.tcKey !== undefined && !safeEqual(request.tcKey, key)) {
    throw new HutongError('ERR_TUNNEL_SIGNATURE', 'tcKey is not the configured key');
  }
  return key;
}

/**
 * The Wafer tunnel server API (docs/protocols/tunnel.md#server-api) under `/tunnel`: `get/wsurl` allocates a tunnel
 * whose events go to the caller's `receiveUrl` as signed webhooks; `ws/push` delivers messages
 * and closes. Replies are signed; `data` is a JSON string when the caller sent `dataEncode` (Java,
 * C#) and for `get/wsurl`, an object otherwise. Errors: `{code, message, error}` with an HTTP status.
 */
export const tunnelRoutes: FastifyPluginAsync<TunnelRoutesOptions> = async (app, options) => {
  const receivers = new ReceiverCache((url, key) => new WebhookReceiver(url, { ...options.webhook, key }));
  options.router.revive = (text) => {
    let spec: { url?: unknown; key?: unknown };
    try {
      spec = JSON.parse(text) as typeof spec;
    } catch {
      return undefined;
    }
    const key = typeof spec.key === 'number' ? options.keys[spec.key] : undefined;
    if (typeof spec.url !== 'string' || !/^https?:\/\//.test(spec.url) || key === undefined) return undefined;
    if (!receiveHostAllowed(new URL(spec.url), options.receiveHosts)) return undefined;
    return receivers.get(spec.url, key);
  };
  app.setErrorHandler((error, request, reply) => {
    const hutong = asHutongError(error);
    if (hutong.code === 'ERR_INTERNAL') request.log.error({ err: error }, 'tunnel API request failed');
    return reply
      .code(hutong.status)
      .send({ code: hutong.status, message: hutong.message, error: hutong.code });
  });

  // Signature before body: the envelope is scanned, only its string fields decoded (signed-envelope.ts).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    try {
      done(null, parseSignedEnvelope(text as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  const bodyLimit = options.bodyLimit ?? 64 * 1024;

  app.post<{ Body: SignedRequest }>(
    '/get/wsurl',
    { schema: { body: SignedRequest }, bodyLimit },
    async (request) => {
      const key = verifySigned(request.body, options.keys);
      const { receiveUrl } = unwrap(
        decode(WsUrlData, unwrap(parseJson(request.body.data, 'ERR_BAD_REQUEST'))),
      );
      let target: URL;
      try {
        target = new URL(repairReceiveUrl(receiveUrl));
      } catch {
        throw new HutongError('ERR_BAD_REQUEST', 'receiveUrl is not a URL');
      }
      if (target.protocol !== 'http:' && target.protocol !== 'https:') {
        throw new HutongError('ERR_BAD_REQUEST', 'receiveUrl must be http or https');
      }
      if (!receiveHostAllowed(target, options.receiveHosts)) {
        throw new HutongError('ERR_TUNNEL_RECEIVE_HOST', `receiveUrl host ${target.host} is not allowed`);
      }
      const receiver = receivers.get(target.toString(), key);
      const tunnel = options.router.hub.allocate(receiver);
      // Any node may take the socket: it rebuilds the receiver from the URL and the key's index.
      options.router.offer(tunnel.tunnelId, () =>
        JSON.stringify({ url: receiver.url, key: options.keys.indexOf(key) }),
      );
      const data = JSON.stringify(tunnel);
      return { code: 0, message: 'OK', data, signature: tunnelSignature(data, key) };
    },
  );

  app.post<{ Body: SignedRequest }>(
    '/ws/push',
    { schema: { body: SignedRequest }, bodyLimit: options.pushBodyLimit ?? tunnelHubDefaults.pushBodyBytes },
    async (request) => {
      const key = verifySigned(request.body, options.keys);
      const packets = unwrap(decode(PushData, unwrap(parseJson(request.body.data, 'ERR_BAD_REQUEST'))));
      const result = await options.router.push(packets);
      if (request.body.dataEncode) {
        const data = JSON.stringify(result);
        return { code: 0, message: 'OK', data, signature: tunnelSignature(data, key) };
      }
      return { code: 0, message: 'OK', data: result };
    },
  );

  /** Hutong's extension: join or leave rooms by tunnel id, and presence counts per room. */
  app.post<{ Body: SignedRequest }>(
    '/rooms',
    { schema: { body: SignedRequest }, bodyLimit },
    async (request) => {
      verifySigned(request.body, options.keys);
      const body = unwrap(decode(RoomsRequest, unwrap(parseJson(request.body.data, 'ERR_BAD_REQUEST'))));
      return { code: 0, message: 'OK', data: await options.router.applyRooms(body) };
    },
  );
};
