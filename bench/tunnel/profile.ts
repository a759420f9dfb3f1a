/**
 * Profiles one bench server (Hutong, or BENCH_PROFILE_KIND=ws|socketio) phase by phase
 * (`node --conditions=hutong-src --import tsx bench/tunnel/profile.ts`): a CPU profile of the
 * connect phase (BENCH_TUNNEL_CONNECTIONS through get/wsurl for Hutong), the broadcasts and the
 * echoes, written to BENCH_PROFILE_DIR as `<kind>-connect|broadcast|echo.cpuprofile`
 * (Chrome DevTools reads them), with the figures of the phases on stdout. BENCH_HEAP=1 also writes
 * a heap snapshot with the connections open (`--heapsnapshot-signal`).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { json, quantile, request } from '../support.js';
import {
  BROADCASTS,
  broadcasts,
  business,
  ECHO_CONNECTIONS,
  ECHO_MS,
  ECHO_RATE,
  generators,
  type Kind,
  N,
  openAll,
  settle,
  startServer,
  tunnelIds,
  WARMUP,
} from './harness.js';

const kind = (process.env.BENCH_PROFILE_KIND ?? 'hutong') as Kind;
const dir = process.env.BENCH_PROFILE_DIR ?? '/tmp/hutong-profile';
mkdirSync(dir, { recursive: true });

const server = await startServer(kind, {}, [`--diagnostic-dir=${dir}`, '--heapsnapshot-signal=SIGUSR2']);
const base = server.url;
const clients = generators();
const profile = (op: string, phase?: string) =>
  json(`${base}/bench/profile?op=${op}${phase ? `&file=${join(dir, `${kind}-${phase}.cpuprofile`)}` : ''}`);

await openAll(clients, kind, base, WARMUP, 'idle');
await Promise.all(clients.map((c) => request(c, { op: 'close', group: 'idle' }, 'closed')));
await settle(1000);
const mem0 = await json(`${base}/bench/mem`);
await profile('start');
const connectMs = await openAll(clients, kind, base, N, 'idle');
await profile('stop', 'connect');
await settle(2000);
const mem1 = await json(`${base}/bench/mem`);
const ids = kind === 'hutong' ? await tunnelIds(clients) : undefined;
const cpuOf = async () =>
  (await Promise.all(clients.map((c) => request(c, { op: 'report' }, 'report')))).reduce(
    (sum, r) => sum + r.cpu.user + r.cpu.system,
    0,
  );
const generatorCpu0 = await cpuOf();
await profile('start');
const { latencies } = await broadcasts(clients, base, ids ? { kind: 'ids', ids } : { kind: 'route' });
await profile('stop', 'broadcast');
const generatorCpuPerBroadcast = Math.round((await cpuOf()) - generatorCpu0) / BROADCASTS / 1000;
await openAll(clients, kind, base, ECHO_CONNECTIONS, 'echo');
await profile('start');
const echoes = await Promise.all(
  clients.map((c) => request(c, { op: 'echo', rate: ECHO_RATE / 2, ms: ECHO_MS }, 'echoed')),
);
await profile('stop', 'echo');
const rtts = echoes.flatMap((e) => e.rtts as number[]);
console.log(
  JSON.stringify({
    kind,
    connectMs: Math.round(connectMs),
    rssPerConnection: Math.round((mem1.rss - mem0.rss) / N),
    heapPerConnection: Math.round((mem1.heapUsed + mem1.external - mem0.heapUsed - mem0.external) / N),
    broadcastP50: quantile(latencies, 0.5),
    generatorCpuPerBroadcastMs: generatorCpuPerBroadcast,
    echoP50: quantile(rtts, 0.5),
    echoP99: quantile(rtts, 0.99),
  }),
);
if (process.env.BENCH_HEAP === '1') {
  const written = new Promise((resolve) => setTimeout(resolve, 60_000));
  server.child.kill('SIGUSR2');
  await written;
}
server.child.kill('SIGKILL');
for (const c of clients) c.send({ op: 'close' });
business.close();
console.log(`profiles in ${dir}`);
