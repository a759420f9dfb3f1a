/**
 * One box, all its cores (`npm run bench:tunnel:capacity`): `hutong start --workers N` (the built
 * CLI, the workers sharing the port and the primary's in-box bus) asked to hold BENCH_CAPACITY idle
 * tunnels (default 35,000; one process here may hold 20,000 open files), against one bare `ws`
 * process holding as many as it can. Two load generators, each from its own loopback source
 * address (one address has 28,000 ephemeral ports per destination). Reported: connections
 * held, the servers' RSS (Hutong: the primary and its workers), and a broadcast to all held.
 * Appends its section to bench/results.md.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../testing/ports.js';
import { quantile, request } from '../support.js';
import { adopt, broadcasts, business, generators, receiveUrl, settle, startServer } from './harness.js';

const TARGET = Number(process.env.BENCH_CAPACITY ?? 35_000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const root = new URL('../../', import.meta.url).pathname;
/**
 * The second generator's source address, one per server (the first run's closed connections wait
 * out TIME_WAIT on theirs). The first generator leaves it to the kernel: bound before connecting,
 * 127.0.0.1's ephemeral ports would be used up for every destination, this run's own HTTP calls
 * included.
 */
const sources = { ws: [undefined, '127.0.0.2'], hutong: [undefined, '127.0.0.3'] } as const;
/** `hutong start` refuses a weak key: this run's own. */
const CAPACITY_KEY = 'capacity-bench-tunnel-key-Lr7Vc2Xk9Pq4Wm8B';
const fdLimit = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();

/** RSS of `pid` and its children, bytes. */
function rssOf(pid: number): number {
  const kb = (p: number) =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
  let children: number[] = [];
  try {
    children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
  } catch {}
  return [pid, ...children].reduce((sum, p) => sum + kb(p), 0) * 1024;
}

/** Opens up to `count` connections, half from each source address; counts what the server took. */
async function fill(clients: ChildProcess[], kind: 'hutong' | 'ws', base: string, count: number) {
  const target =
    kind === 'hutong'
      ? { wsurl: `${base}/tunnel/get/wsurl`, receiveUrl, key: CAPACITY_KEY }
      : { urls: [`${base.replace(/^http/, 'ws')}/`] };
  const started = performance.now();
  const replies = await Promise.all(
    clients.map((c, i) =>
      request(
        c,
        {
          op: 'open',
          kind,
          target,
          count: count / 2,
          group: 'idle',
          tolerant: true,
          ...(sources[kind][i] ? { localAddress: sources[kind][i] } : {}),
        },
        'opened',
      ),
    ),
  );
  return {
    held: replies.reduce((sum, r) => sum + (r.count as number), 0),
    seconds: (performance.now() - started) / 1000,
  };
}

interface Result {
  held: number;
  seconds: number;
  rss: number;
  broadcastP50: number;
  lost: number;
}

async function hutong(): Promise<Result> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'hutong-capacity-'));
  const child = adopt(
    spawn(process.execPath, ['packages/server/dist/esm/cli.js', 'start', '--workers', String(WORKERS)], {
      cwd: root,
      env: {
        PATH: process.env['PATH'] ?? '',
        PORT: String(port),
        HOST: '0.0.0.0',
        HUTONG_PUBLIC_URL: `http://127.0.0.1:${port}`,
        HUTONG_DATA_DIR: dataDir,
        HUTONG_APPID: 'wx0123456789abcdef',
        HUTONG_APP_SECRET: 'capacity-bench-secret-Zq81mN4p',
        HUTONG_TUNNEL_SIGNATURE_KEY: CAPACITY_KEY,
        HUTONG_CONNECTIONS_PER_IP: '0',
        HUTONG_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    }),
  );
  const base = `http://127.0.0.1:${port}`;
  for (let tries = 0; tries < 300; tries += 1) {
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await settle(100);
  }
  await settle(2000); // every worker up
  const clients = generators();
  const { held, seconds } = await fill(clients, 'hutong', base, TARGET);
  process.stderr.write(`capacity: Hutong holds ${held}\n`);
  await settle(3000);
  const rss = rssOf(child.pid!);
  const ids = (await Promise.all(clients.map((c) => request(c, { op: 'ids' }, 'ids')))).flatMap(
    (r) => r.ids as string[],
  );
  const { latencies, lost } = await broadcasts(
    clients,
    base,
    { kind: 'ids', ids, chunk: 20_000, key: CAPACITY_KEY },
    held,
  );
  for (const c of clients) c.send({ op: 'close' });
  child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  return { held, seconds, rss, broadcastP50: quantile(latencies, 0.5), lost };
}

async function bareWs(): Promise<Result> {
  const server = await startServer('ws', {}, ['--max-old-space-size=4096']);
  const clients = generators();
  // As many as one process can hold: its open-file limit, less what it needs besides.
  const { held, seconds } = await fill(clients, 'ws', server.url, Math.min(TARGET, Number(fdLimit) - 200));
  process.stderr.write(`capacity: bare ws holds ${held}\n`);
  await settle(3000);
  const rss = rssOf(server.child.pid!);
  const { latencies, lost } = await broadcasts(clients, server.url, { kind: 'route' }, held);
  for (const c of clients) c.send({ op: 'close' });
  server.child.kill('SIGKILL');
  return { held, seconds, rss, broadcastP50: quantile(latencies, 0.5), lost };
}

process.stderr.write('capacity: bare ws…\n');
const ws = await bareWs();
console.log(JSON.stringify({ ws }));
process.stderr.write('capacity: Hutong…\n');
const hu = await hutong();
console.log(JSON.stringify({ hutong: hu }));
business.close();

const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
const row = (name: string, r: Result) =>
  `| ${name} | ${r.held} | ${r.seconds.toFixed(1)} s | ${mb(r.rss)} (${(r.rss / r.held / 1000).toFixed(1)} kB each) | ${r.broadcastP50} ms | ${r.lost} |`;
const section = `## Tunnels: one box, all its cores

\`hutong start --workers ${WORKERS}\` (the workers share the port and the primary's in-box bus; no Redis)
asked to hold ${TARGET} idle tunnels, each from a signed \`get/wsurl\`, against one bare \`ws\` process
holding as many as it can: one process here may hold ${fdLimit} open files, so it is given that
less 200. Two load generators, each
from its own loopback address. RSS: the server's (Hutong: the primary and its workers), with the
connections open and idle. Broadcast: p50 of the pushes of a 100-byte message to every
connection held, to the last arrival (Hutong: by ids, 20,000 per push, through whichever worker
takes the request; the other worker's share crosses the bus).
Command: \`npm run bench:tunnel:capacity\` (\`BENCH_CAPACITY\`, \`BENCH_WORKERS\`).

| server | connections held | to open them | RSS | broadcast p50 | lost |
|---|---|---|---|---|---|
${row('bare ws 8, one process', ws)}
${row(`Hutong, ${WORKERS} workers`, hu)}
`;
const resultsFile = new URL('../results.md', import.meta.url);
const current = readFileSync(resultsFile, 'utf8');
const marker = '## Tunnels: one box, all its cores';
const start = current.indexOf(marker);
const next = start < 0 ? -1 : current.indexOf('\n## ', start + marker.length);
writeFileSync(
  resultsFile,
  start < 0
    ? `${current.trimEnd()}\n\n${section}`
    : `${current.slice(0, start)}${section}${next < 0 ? '' : current.slice(next)}`,
);
console.log(section);
