/**
 * A TCP proxy on port 0 in front of Redis that counts what clients send: commands (by name) and
 * flights (socket writes that carried commands). A caller that awaits each call pays one round
 * trip per flight, so flights counted around awaited calls are their round trips. Connections that
 * subscribe are left out: their traffic is pushed, not asked for.
 */
import type { Socket } from 'node:net';
import { startTcpProxy } from './tcp-proxy.js';

export interface RedisWire {
  /** `url` with its host and port replaced by the proxy's. */
  url(url: string): string;
  /** Since the last `reset`: flights, commands, and commands by upper-case name. */
  readonly counts: { flights: number; commands: number; byName: Map<string, number> };
  reset(): void;
  close(): Promise<void>;
}

/** Complete RESP arrays at the start of `buffer`: their command names and the bytes they took. */
function parseCommands(buffer: Buffer): { names: string[]; used: number } {
  const names: string[] = [];
  let at = 0;
  for (;;) {
    const start = at;
    const line = (from: number) => {
      const end = buffer.indexOf('\r\n', from);
      return end < 0 ? undefined : { text: buffer.toString('latin1', from, end), next: end + 2 };
    };
    const header = line(at);
    if (header?.text[0] !== '*') return { names, used: start };
    let next = header.next;
    let name: string | undefined;
    for (let i = 0; i < Number(header.text.slice(1)); i += 1) {
      const size = line(next);
      if (!size) return { names, used: start };
      const length = Number(size.text.slice(1));
      if (buffer.length < size.next + length + 2) return { names, used: start };
      name ??= buffer.toString('latin1', size.next, size.next + length).toUpperCase();
      next = size.next + length + 2;
    }
    names.push(name ?? '');
    at = next;
  }
}

export async function startRedisWire(target: string): Promise<RedisWire> {
  const counts = { flights: 0, commands: 0, byName: new Map<string, number>() };
  const count = (client: Socket) => {
    let pending = Buffer.alloc(0);
    let subscriber = false;
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      const { names, used } = parseCommands(pending);
      pending = pending.subarray(used);
      if (names.some((name) => name.endsWith('SUBSCRIBE'))) subscriber = true;
      if (subscriber || names.length === 0) return;
      counts.flights += 1;
      counts.commands += names.length;
      for (const name of names) counts.byName.set(name, (counts.byName.get(name) ?? 0) + 1);
    });
  };
  const proxy = await startTcpProxy(target, { tap: count });
  return {
    url: (url) => proxy.url(url),
    counts,
    reset() {
      counts.flights = 0;
      counts.commands = 0;
      counts.byName.clear();
    },
    close: () => proxy.close(),
  };
}
