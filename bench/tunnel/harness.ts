/**
 * The tunnel benchmark's moving parts, shared by the run (`run.ts`) and the profiler
 * (`profile.ts`): the business server receiving Hutong's webhooks, the server under test in a
 * child process, the two load generators (`clients.ts`), opening connections and broadcasting.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { Agent, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { tunnelSignature } from '@hutong/protocol/wafer-signature';
import { json, request } from '../support.js';
import { postJson } from './http-post.js';

export const N = Number(process.env.BENCH_TUNNEL_CONNECTIONS ?? 5000);
export const BROADCASTS = Number(process.env.BENCH_BROADCASTS ?? 20);
export const ECHO_RATE = Number(process.env.BENCH_ECHO_RATE ?? 5000);
export const ECHO_MS = Number(process.env.BENCH_ECHO_MS ?? 10_000);
export const ECHO_CONNECTIONS = Number(process.env.BENCH_ECHO_CONNECTIONS ?? 1000);
/** Connections opened and closed before the baseline, so lazy start-up costs are not counted. */
export const WARMUP = 200;
export const KEY = 'bench-key';
export const SIZE = 100;
export const allKinds = ['ws', 'socketio', 'hutong'] as const;
export type Kind = (typeof allKinds)[number];
/** `BENCH_KINDS=ws,hutong` measures a subset (for quick experiments; the table wants all three). */
export const kinds = allKinds.filter((k) =>
  (process.env.BENCH_KINDS ?? allKinds.join(',')).split(',').includes(k),
);
const node = ['--conditions=hutong-src', '--import', 'tsx'];
/**
 * The server under test runs Hutong's built packages (`dist/`, as users install them: `npm run
 * bench:tunnel` builds first), not the TypeScript sources through tsx.
 */
const built = ['--import', 'tsx'];
const here = new URL('.', import.meta.url).pathname;

/** The business server of Hutong's tunnels: takes every signed event webhook, counts them by type. */
export const events = new Map<string, number>();
/**
 * The tunnels connected now, in the order their connect events came: the list a business server
 * keeps (the Wafer demo's) and pushes to.
 */
export const connected = new Set<string>();
export const business = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => {
    body += chunk;
  });
  req.on('end', () => {
    try {
      const { type, tunnelId } = JSON.parse(JSON.parse(body).data) as { type: string; tunnelId: string };
      events.set(type, (events.get(type) ?? 0) + 1);
      if (type === 'connect') connected.add(tunnelId);
      if (type === 'close') connected.delete(tunnelId);
    } catch {}
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":0,"message":"OK"}');
  });
});
await new Promise<void>((resolve) => business.listen(0, '127.0.0.1', resolve));
export const receiveUrl = `http://127.0.0.1:${(business.address() as AddressInfo).port}/tunnel`;

export async function startServer(
  kind: Kind,
  env: Record<string, string> = {},
  extraFlags: string[] = [],
): Promise<{ child: ChildProcess; url: string }> {
  // BENCH_SERVER_FLAGS: extra node flags for the server under test (e.g. --trace-gc, --cpu-prof).
  const flags = [...(process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? []), ...extraFlags];
  const child = adopt(
    spawn(process.execPath, ['--expose-gc', ...flags, ...built, `${here}server.ts`, kind], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    }),
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${kind} server exited ${code}`)));
  });
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

export interface Row {
  kind: Kind;
  rssPerConnection: number;
  heapPerConnection: number;
  connectMs: number;
  broadcastP50: number;
  broadcastMax: number;
  /** Hutong only: the broadcast to a room all N joined (Hutong's extension), p50. */
  roomP50: number;
  lost: number;
  echoP50: number;
  echoP99: number;
  echoCount: number;
}

export type Group = 'idle' | 'echo';

/** Opens `count` connections of `kind`, half on each generator; resolves with the time they took. */
export async function openAll(
  clients: ChildProcess[],
  kind: Kind,
  base: string,
  count: number,
  group: Group,
): Promise<number> {
  const ws = base.replace(/^http/, 'ws');
  let target: object;
  if (kind === 'hutong' && group === 'idle') {
    target = { wsurl: `${base}/tunnel/get/wsurl`, receiveUrl, key: KEY };
  } else if (kind === 'hutong') {
    const grants = (await json(`${base}/bench/alloc?n=${count}`)) as { connectUrl: string }[];
    target = { urls: grants.map((g) => g.connectUrl) };
  } else {
    target = { urls: [kind === 'ws' ? `${ws}/` : `${ws}/socket.io/?EIO=4&transport=websocket`] };
  }
  const half = Math.ceil(count / 2);
  const started = performance.now();
  await Promise.all(
    clients.map((c, i) => {
      // One URL per connection (Hutong's in-process tunnels) is split between the generators.
      const urls = (target as { urls?: string[] }).urls;
      const mine = urls && urls.length === count ? { urls: urls.slice(i * half, (i + 1) * half) } : target;
      const n = Math.min(half, count - i * half);
      return request(c, { op: 'open', kind, target: mine, count: n, group }, 'opened');
    }),
  );
  return performance.now() - started;
}

/**
 * The tunnel ids of the generators' idle connections (Hutong), in the order the business server
 * heard them connect (as it would push to them), once it has heard of all of them.
 */
export async function tunnelIds(clients: ChildProcess[]): Promise<string[]> {
  const replies = await Promise.all(clients.map((c) => request(c, { op: 'ids' }, 'ids')));
  const idle = new Set(replies.flatMap((r) => r.ids as string[]));
  for (let tries = 0; tries < 200 && [...idle].some((id) => !connected.has(id)); tries += 1) await settle(50);
  return [...connected].filter((id) => idle.has(id));
}

/** How a broadcast is asked for: the peers' own route, or Hutong's push API by ids or by room. */
export type BroadcastVia =
  | { kind: 'route' }
  /** `chunk`: ids per push (a push's `data` is at most 1 Mi characters: ~28,000 ids); `key`: the signature key. */
  | { kind: 'ids'; ids: string[]; chunk?: number; key?: string }
  | { kind: 'room'; room: string };

/** The business server's connection to the server under test, kept open. */
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** A POST of `body` to `url`; resolves with the answer's body once it has come. */
export const post = (url: string, body: string): Promise<string> => postJson(agent, url, body);

/** A signed call of the Wafer tunnel API (and Hutong's `/tunnel/rooms`), as a business server makes it. */
export function signed(base: string, path: string, data: string, key = KEY): Promise<string> {
  return post(
    `${base}/tunnel/${path}`,
    JSON.stringify({ data, tcId: 'bench', signature: tunnelSignature(data, key) }),
  );
}

/**
 * BROADCASTS broadcasts of one payload to all N clients; per broadcast the last arrival time,
 * from just before the business server builds its request. Pushing by ids, it keeps its list of
 * ids as JSON (the ids do not change between broadcasts) and splices each message in.
 */
export async function broadcasts(
  clients: ChildProcess[],
  base: string,
  via: BroadcastVia,
  /** How many clients should get each broadcast. */
  expected = N,
): Promise<{ latencies: number[]; lost: number }> {
  const latencies: number[] = [];
  let lost = 0;
  const chunks: string[] = [];
  if (via.kind === 'ids') {
    const size = via.chunk ?? via.ids.length;
    for (let i = 0; i < via.ids.length; i += size) chunks.push(JSON.stringify(via.ids.slice(i, i + size)));
  }
  for (let b = 0; b < BROADCASTS; b += 1) {
    const t = Date.now();
    const text = JSON.stringify({ t, pad: 'x'.repeat(SIZE - 30) });
    const content = JSON.stringify(JSON.stringify({ type: 'm', content: text }));
    if (via.kind === 'ids') {
      for (const ids of chunks) {
        await signed(
          base,
          'ws/push',
          `[{"tunnelIds":${ids},"type":"message","content":${content}}]`,
          via.key,
        );
      }
    } else if (via.kind === 'room') {
      await signed(
        base,
        'ws/push',
        `[{"tunnelIds":[],"rooms":[${JSON.stringify(via.room)}],"type":"message","content":${content}}]`,
      );
    } else {
      await post(`${base}/bench/broadcast`, text);
    }
    let got = 0;
    let last = 0;
    for (let tries = 0; tries < 100 && got < expected; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const reports = await Promise.all(clients.map((c) => request(c, { op: 'report' }, 'report')));
      got = 0;
      last = 0;
      for (const r of reports) {
        const entry = (r.broadcasts as [number, { count: number; last: number }][]).find(
          ([key]) => key === t,
        )?.[1];
        got += entry?.count ?? 0;
        last = Math.max(last, entry?.last ?? 0);
      }
    }
    lost += expected - got;
    latencies.push(last);
  }
  return { latencies, lost };
}

export const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Every child this run started, killed when it exits however it exits (a failed run too). */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
export const adopt = (child: ChildProcess): ChildProcess => {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
};

export const generators = () =>
  [0, 1].map(() => adopt(fork(`${here}clients.ts`, [], { execArgv: node, stdio: 'inherit' })));
