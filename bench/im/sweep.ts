/**
 * IM offered-load sweep (`npm run bench:im:sweep`, and the last part of `npm run bench:im`): the
 * same users in pairs, on the same servers for the whole sweep, offered 500 → 12,000 messages a
 * second in steps; per step the delivered rate, latency, what backpressure refused (1504, sent
 * again by the load generator after `retryAfterMs`), and what each message cost — the store's round
 * trips and commits (counted in the server, bench/im/store-counters.ts), Redis commands (the
 * server's `total_commands_processed`, heartbeats included) and the servers' CPU. It shows where
 * throughput peaks and whether it holds past the peak. Writes its section into bench/results.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Redis } from 'ioredis';
import {
  type ClusterServices,
  clusterServices,
  dropClusterDatabase,
  type Kind,
  type Phase,
  phase,
  setUp,
  suffix,
  tearDown,
} from './harness.js';

const USERS = Number(process.env.BENCH_IM_USERS ?? 200);
const RATES = (process.env.BENCH_IM_SWEEP ?? '500,1000,2000,3000,5000,7000,9000,12000')
  .split(',')
  .map(Number);
const MS = Number(process.env.BENCH_IM_SWEEP_MS ?? 5000);
const DRAIN_MS = 5000;
const kinds = (process.env.BENCH_IM_SWEEP_KINDS ?? 'cluster,hutong,socketio').split(',') as Kind[];
process.env.BENCH_COUNT_WIRE = '1';

const found = kinds.includes('cluster') ? await clusterServices() : 'not measured';
const services: ClusterServices | undefined = typeof found === 'string' ? undefined : found;
if (kinds.includes('cluster') && !services) throw new Error(`two nodes need Redis and PostgreSQL: ${found}`);

const redisCommands = async (redis: Redis | undefined) => {
  if (!redis) return 0;
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
};

interface Step {
  offered: number;
  phase: Phase;
  redisCommands: number;
}

const results = new Map<Kind, Step[]>();
try {
  for (const kind of kinds) {
    const redis = kind === 'cluster' ? new Redis(services!.redisUrl) : undefined;
    const session = await setUp(kind, `${suffix}sw${kind}`, USERS, services);
    const steps: Step[] = [];
    try {
      for (const offered of RATES) {
        const r0 = await redisCommands(redis);
        const measured = await phase(session.servers, session.clients, {
          op: 'rate',
          rate: offered / 2,
          ms: MS,
          drainMs: DRAIN_MS,
        });
        const step = { offered, phase: measured, redisCommands: (await redisCommands(redis)) - r0 };
        steps.push(step);
        console.log(JSON.stringify({ kind, offered, ...measured, redisCommands: step.redisCommands }));
      }
    } finally {
      await tearDown(session);
      redis?.disconnect();
    }
    results.set(kind, steps);
  }
} finally {
  await dropClusterDatabase(services);
}

const names: Record<Kind, string> = {
  socketio: 'Socket.IO 4 (no storage)',
  hutong: 'Hutong, one node, SQLite',
  cluster: 'Hutong, 2 nodes, Redis + PostgreSQL',
};
const per = (count: number, messages: number) => (messages > 0 ? (count / messages).toFixed(2) : '–');
const ms = (v: number) => (v < 10 ? v.toFixed(2) : v < 1000 ? v.toFixed(1) : v.toFixed(0));
const rows = [...results]
  .flatMap(([kind, steps]) =>
    steps.map(({ offered, phase: p, redisCommands }) => {
      const messages = p.server.accepted || p.sent;
      const lost = `${p.notDelivered}${p.duplicates ? `, ${p.duplicates} dup.` : ''}`;
      const store =
        kind === 'socketio'
          ? '–'
          : `${per(p.server.storeRoundTrips, messages)} / ${per(p.server.storeCommits, messages)}`;
      const redis = kind === 'cluster' ? per(redisCommands, messages) : '–';
      const cpu = messages > 0 ? Math.round((p.server.cpuMs * 1000) / messages) : 0;
      return `| ${names[kind]} | ${offered} | **${p.deliveredPerSecond}** | ${ms(p.deliveredP50)} / ${ms(p.deliveredP99)} ms | ${p.server.busy} | ${lost} | ${store} | ${redis} | ${cpu} µs | ${p.serverCpu} % / ${p.machineCpu} % |`;
    }),
  )
  .join('\n');
const peaks = [...results]
  .map(([kind, steps]) => {
    const best = Math.max(...steps.map((s) => s.phase.deliveredPerSecond));
    const last = steps.at(-1)!.phase.deliveredPerSecond;
    return `${names[kind]}: peak ${best} msg/s, ${last} at ${steps.at(-1)!.offered} offered (${((last / best) * 100).toFixed(0)} % of the peak)`;
  })
  .join('; ');

const marker = '## IM: offered-load sweep';
const section = `${marker}

${USERS} users in pairs as above (two nodes: every message and receipt crosses nodes), the same servers
for the whole sweep, ${MS / 1000} s per step and up to ${DRAIN_MS / 1000} s of drain after it. "delivered" = messages the recipients
got within the step, per second; "busy" = data frames refused with 1504 (backpressure) and sent again
by the load generator after \`retryAfterMs\`; "lost" = not delivered when the drain ended (late, not necessarily lost: past the peak a backlog builds). Per accepted
message: the store's round trips / commits (every query pg or mysql2 sent; SQLite has none), Redis
commands (all nodes, heartbeats included) and the server processes' CPU. Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'},
Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; the load generators, Redis and PostgreSQL share its cores.
Command: \`npm run bench:im:sweep\` (\`BENCH_IM_SWEEP\` rates, \`BENCH_IM_SWEEP_MS\`, \`BENCH_IM_SWEEP_KINDS\`).

${peaks}.

| server | offered msg/s | delivered msg/s | delivered p50 / p99 | busy (1504) | lost | store round trips / commits per msg | Redis commands per msg | server CPU per msg | CPU server / machine |
|---|---|---|---|---|---|---|---|---|---|
${rows}
`;
console.log(section);
if (process.env.BENCH_IM_SWEEP || process.env.BENCH_IM_SWEEP_KINDS) {
  console.log('a custom sweep: bench/results.md left alone');
  process.exit(0);
}
const resultsFile = new URL('../results.md', import.meta.url);
const current = readFileSync(resultsFile, 'utf8');
let next: string;
if (current.includes(marker)) {
  const start = current.indexOf(marker);
  const end = current.indexOf('\n## ', start + marker.length);
  next = `${current.slice(0, start)}${section}${end === -1 ? '' : `\n${current.slice(end + 1)}`}`;
} else {
  // After the IM section.
  const im = current.indexOf('## IM: Hutong vs Socket.IO');
  const end = im === -1 ? -1 : current.indexOf('\n## ', im + 10);
  next =
    end === -1
      ? `${current.trimEnd()}\n\n${section}`
      : `${current.slice(0, end + 1)}\n${section}${current.slice(end)}`;
}
writeFileSync(resultsFile, next);
