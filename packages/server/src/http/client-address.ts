import type { IncomingMessage } from 'node:http';
import type { BlockList } from 'node:net';
import { listed } from './address-list.js';

/**
 * The client's address of a request: the peer, or, when the peer is a trusted proxy, the last
 * `X-Forwarded-For` entry that is not itself a trusted proxy (what Fastify's `request.ip` gives
 * for HTTP requests, for the upgrade requests Fastify never sees).
 */
export function clientAddress(req: IncomingMessage, trusted: BlockList | undefined): string {
  const peer = req.socket.remoteAddress ?? '';
  if (!trusted || !listed(trusted, peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = hops[i]!;
    if (!listed(trusted, hop)) return hop;
  }
  return hops[0] ?? peer;
}
