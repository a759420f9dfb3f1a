/**
 * `npm run bench`: session validation throughput over HTTP, each store against a bare Fastify
 * route returning a constant, measured in the same run. Servers run in child processes; the load
 * generator (autocannon) runs here. Writes its section of bench/results.md.
 *
 *   npm run bench                 # all stores whose service is reachable
 *   npm run bench -- sqlite redis # a subset
 *   BENCH_DURATION=20 npm run bench
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { service } from '../testing/services.js';

const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 100);
const pipelining = Number(process.env.BENCH_PIPELINING ?? 1);

interface Target {
  name: string;
  env: Record<string, string>;
  bare?: boolean;
  needs?: 'redis' | 'mysql' | 'postgres';
}

const suffix = Date.now().toString(36);
const targets: Target[] = [
  { name: 'bare Fastify (constant)', env: {}, bare: true },
  {
    name: 'SQLite (session cache, default)',
    env: { HUTONG_STORE: 'sqlite', HUTONG_STORE_URL: `/tmp/hutong-bench-${suffix}.sqlite` },
  },
  {
    name: 'SQLite (session cache off)',
    env: {
      HUTONG_STORE: 'sqlite',
      HUTONG_STORE_URL: `/tmp/hutong-bench-${suffix}-nc.sqlite`,
      HUTONG_SESSION_CACHE: '0',
    },
  },
  { name: 'Redis (tracked local cache, default)', env: { HUTONG_STORE: 'redis' }, needs: 'redis' },
  {
    name: 'Redis (local cache off)',
    env: { HUTONG_STORE: 'redis', HUTONG_SESSION_CACHE: '0' },
    needs: 'redis',
  },
  { name: 'MariaDB', env: { HUTONG_STORE: 'mysql' }, needs: 'mysql' },
  { name: 'PostgreSQL', env: { HUTONG_STORE: 'postgres' }, needs: 'postgres' },
];

async function startChild(
  target: Target,
): Promise<{ child: ChildProcess; url: string; path: string; skeys: string[] }> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), ...target.env };
  if (target.needs) {
    const svc = await service(target.needs);
    if (svc.skip) throw new Error(svc.skip);
    if (target.needs !== 'redis') env['HUTONG_STORE_URL'] = svc.url;
    else env['HUTONG_STORE_URL'] = svc.url;
  }
  const child = spawn(
    process.execPath,
    [
      '--conditions=hutong-src',
      '--import',
      'tsx',
      'bench/session-server.ts',
      ...(target.bare ? ['--bare'] : []),
    ],
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${target.name} server exited with ${code}`)));
  });
  return { child, ...(JSON.parse(line) as { url: string; path: string; skeys: string[] }) };
}

function load(url: string, path: string, skeys: string[], seconds: number) {
  let i = 0;
  return autocannon({
    url,
    connections,
    pipelining,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        path,
        setupRequest: (request) => {
          if (skeys.length === 0) return request;
          i = (i + 1) % skeys.length;
          return { ...request, headers: { ...request.headers, 'x-wx-skey': skeys[i]! } };
        },
      },
    ],
  });
}

interface Row {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  note?: string;
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const only = process.argv.slice(2).map((a) => a.toLowerCase());
const chosen = targets.filter(
  (t) => t.bare || only.length === 0 || only.some((o) => t.name.toLowerCase().includes(o)),
);

// All servers start first and stay up; the rounds then interleave the targets, so a slow spell of
// the shared machine hits every row alike. Each figure is the median over the rounds.
const running = new Map<Target, Awaited<ReturnType<typeof startChild>>>();
const notes = new Map<Target, string>();
for (const target of chosen) {
  try {
    const started = await startChild(target);
    running.set(target, started);
    await load(started.url, started.path, started.skeys, 3); // warm-up
  } catch (error) {
    notes.set(target, `skipped: ${(error as Error).message}`);
  }
}
const samples = new Map<Target, autocannon.Result[]>();
for (let round = 0; round < rounds; round += 1) {
  for (const [target, started] of running) {
    const result = await load(started.url, started.path, started.skeys, duration);
    samples.set(target, [...(samples.get(target) ?? []), result]);
    console.log(
      `round ${round + 1} ${target.name}: ${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms`,
    );
  }
}
for (const started of running.values()) started.child.kill('SIGTERM');

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const rows: Row[] = chosen.map((target) => {
  const runs = samples.get(target) ?? [];
  const note = notes.get(target);
  return {
    name: target.name,
    rps: median(runs.map((r) => r.requests.average)),
    p50: median(runs.map((r) => r.latency.p50)),
    p99: median(runs.map((r) => r.latency.p99)),
    errors: runs.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    ...(note ? { note } : { note: `${runs.map((r) => Math.round(r.requests.average)).join(' / ')}` }),
  };
});

const bare = rows.find((r) => r.name.startsWith('bare'))?.rps ?? 0;
const table = rows
  .map((r) =>
    r.rps === 0
      ? `| ${r.name} | – | – | – | – | – | ${r.note ?? ''} |`
      : `| ${r.name} | ${Math.round(r.rps)} | ${bare ? `${Math.round((r.rps / bare) * 100)} %` : '–'} | ${r.p50} | ${r.p99} | ${r.errors + r.non2xx} | ${r.note ?? ''} |`,
  )
  .join('\n');
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const report = `# Benchmark results

## Session validation over HTTP

\`GET /api/v1/session\` with \`X-WX-Skey\` (one of 200 live sessions, rotating) on the dev stack,
each session store in turn, against a bare Fastify route returning a constant, all in the same
run. Server: one Node process per row (child process); load: autocannon in the parent process on
the same machine, ${connections} connections, pipelining ${pipelining}, ${duration} s per run after a 3 s
warm-up; ${rounds} rounds interleaving the targets, median shown (each round's req/s in the last column).
Target (issue): SQLite and Redis at ≥ 70 % of the bare route. The default configuration keeps
sessions read once in the process (\`HUTONG_SESSION_CACHE\`, 10,000 entries): SQLite drops an entry
on its own writes and empties the cache when \`PRAGMA data_version\` shows another connection's
commit; Redis drops entries the moment Redis reports a change (CLIENT TRACKING). With 200 rotating
sessions nearly every request is a cache hit; the "cache off" rows show the cost of a store round
trip on every request (SQLite: a prepared JOIN; Redis: one Lua script).

Machine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.
Command: \`npm run bench\` (\`BENCH_DURATION\`, \`BENCH_CONNECTIONS\`, \`BENCH_PIPELINING\` override).
The load generator shares the 2 cores with the server, so absolute figures are low; read the ratios.

| target | req/s | vs bare | p50 ms | p99 ms | errors | runs (req/s) |
|---|---|---|---|---|---|---|
${table}
`;
// This bench owns the title and its section; the sections other benches write (tunnels, client
// size) are kept as they are.
const resultsFile = new URL('./results.md', import.meta.url);
const others = existsSync(resultsFile)
  ? readFileSync(resultsFile, 'utf8')
      .split(/^(?=## )/m)
      .slice(1)
      .filter((section) => !section.startsWith('## Session validation over HTTP'))
  : [];
writeFileSync(resultsFile, `${[report, ...others].map((part) => part.trimEnd()).join('\n\n')}\n`);
console.log(`\n${report}`);
