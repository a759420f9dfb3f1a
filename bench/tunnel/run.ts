/**
 * Tunnel benchmark (`npm run bench:tunnel`): Hutong vs bare `ws` vs Socket.IO 4 doing the same job,
 * in one run, with the same load generator (two client processes speaking each protocol over raw
 * `ws`): (a) server memory per idle connection, (b) one broadcast to every client — time until the
 * last one has it, p50 and max over 20, Hutong through the Wafer push API — and (c) echo round trips
 * at a fixed message rate. Appends its table to bench/results.md.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tunnelSignature } from '@hutong/protocol/wafer-signature';
import { service } from '../../testing/services.js';
import { json, quantile, request } from '../support.js';

const N = Number(process.env.BENCH_TUNNEL_CONNECTIONS ?? 5000);
const BROADCASTS = Number(process.env.BENCH_BROADCASTS ?? 20);
const ECHO_RATE = Number(process.env.BENCH_ECHO_RATE ?? 5000);
const ECHO_MS = Number(process.env.BENCH_ECHO_MS ?? 10_000);
const SIZE = 100;
const allKinds = ['ws', 'socketio', 'hutong'] as const;
type Kind = (typeof allKinds)[number];
/** `BENCH_KINDS=ws,hutong` measures a subset (for quick experiments; the table wants all three). */
const kinds = allKinds.filter((k) => (process.env.BENCH_KINDS ?? allKinds.join(',')).split(',').includes(k));
const node = ['--conditions=hutong-src', '--import', 'tsx'];
const here = new URL('.', import.meta.url).pathname;

async function startServer(
  kind: Kind,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string }> {
  // BENCH_SERVER_FLAGS: extra node flags for the server under test (e.g. --trace-gc, --cpu-prof).
  const flags = process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, ['--expose-gc', ...flags, ...node, `${here}server.ts`, kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${kind} server exited ${code}`)));
  });
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

interface Row {
  kind: Kind;
  bytesPerConnection: number;
  broadcastP50: number;
  broadcastMax: number;
  lost: number;
  echoP50: number;
  echoP99: number;
  echoCount: number;
}

/** BROADCASTS broadcasts of one payload to all N clients; per broadcast the last arrival time. */
async function broadcasts(
  clients: ChildProcess[],
  target: { base: string; ids?: string[] },
): Promise<{ latencies: number[]; lost: number }> {
  const { base, ids } = target;
  const latencies: number[] = [];
  let lost = 0;
  for (let b = 0; b < BROADCASTS; b += 1) {
    const t = Date.now();
    const text = JSON.stringify({ t, pad: 'x'.repeat(SIZE - 30) });
    if (ids) {
      const data = JSON.stringify([
        { tunnelIds: ids, type: 'message', content: JSON.stringify({ type: 'm', content: text }) },
      ]);
      await fetch(`${base}/tunnel/ws/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data, tcId: 'bench', signature: tunnelSignature(data, 'bench-key') }),
      });
    } else {
      await fetch(`${base}/bench/broadcast`, { method: 'POST', body: text });
    }
    let got = 0;
    let last = 0;
    for (let tries = 0; tries < 100 && got < N; tries += 1) {
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
    lost += N - got;
    latencies.push(last);
  }

  return { latencies, lost };
}

async function measure(kind: Kind): Promise<Row> {
  const server = await startServer(kind);
  const base = server.url;
  const ws = base.replace(/^http/, 'ws');
  const mem0 = await json(`${base}/bench/mem`);
  let urls: string[];
  let ids: string[] = [];
  if (kind === 'hutong') {
    const grants = (await json(`${base}/bench/alloc?n=${N}`)) as { tunnelId: string; connectUrl: string }[];
    urls = grants.map((g) => g.connectUrl);
    ids = grants.map((g) => g.tunnelId);
  } else {
    urls = Array.from({ length: N }, () =>
      kind === 'ws' ? `${ws}/` : `${ws}/socket.io/?EIO=4&transport=websocket`,
    );
  }
  const clients = [0, 1].map(() => fork(`${here}clients.ts`, [], { execArgv: node, stdio: 'inherit' }));
  const half = Math.ceil(N / 2);
  await Promise.all(
    clients.map((c, i) =>
      request(c, { op: 'open', kind, urls: urls.slice(i * half, (i + 1) * half) }, 'opened'),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const mem1 = await json(`${base}/bench/mem`);

  const { latencies, lost } = await broadcasts(clients, kind === 'hutong' ? { base, ids } : { base });
  const echoes = await Promise.all(
    clients.map((c) => request(c, { op: 'echo', rate: ECHO_RATE / 2, ms: ECHO_MS }, 'echoed')),
  );
  const rtts = echoes.flatMap((e) => e.rtts as number[]);
  for (const c of clients) c.send({ op: 'close' });
  server.child.kill('SIGKILL');
  return {
    kind,
    // What the process retains per connection (JS heap and buffers, after a GC). RSS moves in
    // allocator-sized steps and was too noisy to compare servers with.
    bytesPerConnection: Math.round((mem1.heapUsed + mem1.external - mem0.heapUsed - mem0.external) / N),
    broadcastP50: quantile(latencies, 0.5),
    broadcastMax: Math.max(...latencies),
    lost,
    echoP50: quantile(rtts, 0.5),
    echoP99: quantile(rtts, 0.99),
    echoCount: rtts.length,
  };
}

// Rounds interleave the servers so a slow spell of the shared machine hits each alike; every
// figure is the median over the rounds.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const runs = new Map<Kind, Row[]>();
for (let round = 0; round < ROUNDS; round += 1) {
  for (const kind of kinds) {
    const row = await measure(kind);
    runs.set(kind, [...(runs.get(kind) ?? []), row]);
    console.log(JSON.stringify({ round: round + 1, ...row }));
  }
}
const median = (values: number[]) => quantile(values, 0.5);
/** (d) Hutong on two nodes over Redis: half the clients on each, the push sent to node A. */
async function measureCluster(): Promise<{ p50: number; max: number; lost: number } | string> {
  const redis = await service('redis');
  if (redis.skip) return redis.skip;
  const suffix = Date.now().toString(36);
  const env = (n: string) => ({
    HUTONG_BROKER: 'redis',
    HUTONG_BROKER_URL: redis.url,
    HUTONG_NODE_ID: `bench-${suffix}-${n}`,
  });
  const servers = [await startServer('hutong', env('a')), await startServer('hutong', env('b'))];
  const half = Math.ceil(N / 2);
  const grants = await Promise.all(
    servers.map(
      async (s) =>
        (await json(`${s.url}/bench/alloc?n=${half}`)) as { tunnelId: string; connectUrl: string }[],
    ),
  );
  const clients = [0, 1].map(() => fork(`${here}clients.ts`, [], { execArgv: node, stdio: 'inherit' }));
  await Promise.all(
    clients.map((c, i) =>
      request(c, { op: 'open', kind: 'hutong', urls: grants[i]!.map((g) => g.connectUrl) }, 'opened'),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 2000)); // registrations reach Redis
  const ids = grants.flat().map((g) => g.tunnelId);
  const { latencies, lost } = await broadcasts(clients, { base: servers[0]!.url, ids });
  for (const c of clients) c.send({ op: 'close' });
  for (const s of servers) s.child.kill('SIGKILL');
  return { p50: quantile(latencies, 0.5), max: Math.max(...latencies), lost };
}

if (kinds.length < allKinds.length) {
  // A subset is an experiment: print the medians, leave results.md alone.
  for (const kind of kinds) {
    const all = runs.get(kind)!;
    const pick = (field: keyof Omit<Row, 'kind'>) => median(all.map((r) => r[field]));
    console.log(
      JSON.stringify({
        kind,
        bytes: pick('bytesPerConnection'),
        p50: pick('broadcastP50'),
        echoP50: pick('echoP50'),
        echoP99: pick('echoP99'),
      }),
    );
  }
  process.exit(0);
}
const cluster = await measureCluster();
console.log(JSON.stringify({ cluster }));

const rows: Row[] = kinds.map((kind) => {
  const all = runs.get(kind)!;
  const pick = (field: keyof Omit<Row, 'kind'>) => median(all.map((r) => r[field]));
  return {
    kind,
    bytesPerConnection: pick('bytesPerConnection'),
    broadcastP50: pick('broadcastP50'),
    broadcastMax: Math.max(...all.map((r) => r.broadcastMax)),
    lost: all.reduce((sum, r) => sum + r.lost, 0),
    echoP50: pick('echoP50'),
    echoP99: pick('echoP99'),
    echoCount: all.reduce((sum, r) => sum + r.echoCount, 0),
  };
});
const ws = rows.find((r) => r.kind === 'ws')!;
const io = rows.find((r) => r.kind === 'socketio')!;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '–');
const names = { ws: 'bare ws 8', socketio: 'Socket.IO 4', hutong: 'Hutong (Wafer push API)' } as const;
const table = rows
  .map(
    (r) =>
      `| ${names[r.kind]} | ${(r.bytesPerConnection / 1024).toFixed(1)} KiB (${ratio(r.bytesPerConnection, ws.bytesPerConnection)}) | ${r.broadcastP50} ms (${ratio(r.broadcastP50, ws.broadcastP50)} ws, ${ratio(r.broadcastP50, io.broadcastP50)} io) | ${r.broadcastMax} ms | ${r.lost} | ${r.echoP50.toFixed(2)} / ${r.echoP99.toFixed(2)} ms (p99 ${ratio(r.echoP99, ws.echoP99)} ws) | ${r.echoCount} |`,
  )
  .join('\n');
const hutongRow = rows.find((r) => r.kind === 'hutong')!;
const clusterRow =
  typeof cluster === 'string'
    ? `| Hutong, 2 nodes over Redis | – | skipped: ${cluster} | – | – | – | – |`
    : `| Hutong, 2 nodes over Redis (push to node A, half the clients on B) | – | ${cluster.p50} ms (${ratio(cluster.p50, hutongRow.broadcastP50)} one node) | ${cluster.max} ms | ${cluster.lost} | – | – |`;
const section = `## Tunnels: Hutong vs bare ws vs Socket.IO

${N} connections over loopback, two load-generator processes speaking each protocol with raw \`ws\`;
server heap + external memory per idle connection after a GC (kernel socket buffers, equal for all, are not counted); ${BROADCASTS} broadcasts of a ${SIZE}-byte message to every
client (time from the trigger request to the last arrival; Hutong through a signed
\`/tunnel/ws/push\` listing all ${N} tunnel ids); echo round trips at ${ECHO_RATE} msg/s for ${ECHO_MS / 1000} s.
Median of ${ROUNDS} rounds interleaving the servers (max and totals over all rounds).
Command: \`npm run bench:tunnel\` (\`BENCH_TUNNEL_CONNECTIONS\`, \`BENCH_BROADCASTS\`, \`BENCH_ECHO_RATE\`, \`BENCH_ROUNDS\`).
Targets (issue): broadcast p50 ≤ 0.85× both peers; memory ≤ 1.5× ws; echo p99 ≤ 1.1× ws.

| server | memory / connection | broadcast p50 | broadcast max | lost | echo p50 / p99 | echoes |
|---|---|---|---|---|---|---|
${table}
${clusterRow}
`;
const resultsFile = new URL('../results.md', import.meta.url);
const current = readFileSync(resultsFile, 'utf8');
const marker = '## Tunnels: Hutong vs bare ws vs Socket.IO';
const kept = current.includes(marker)
  ? current.slice(0, current.indexOf(marker))
  : `${current.trimEnd()}\n\n`;
writeFileSync(resultsFile, `${kept}${section}`);
console.log(section);
