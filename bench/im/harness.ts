/**
 * What the IM benchmarks share (`run.ts`, `sweep.ts`): server children (Hutong on one node with a
 * SQLite file, two nodes over Redis sharing PostgreSQL, or the Socket.IO peer), two load-generator
 * children with the users of the pairs logged in, and a phase measured over both (latencies,
 * delivered per second, CPU, the servers' own counters).
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { service } from '../../testing/services.js';
import { json, quantile, request } from '../support.js';

export const allKinds = ['socketio', 'hutong', 'cluster'] as const;
export type Kind = (typeof allKinds)[number];
const node = ['--conditions=hutong-src', '--import', 'tsx'];
const here = new URL('.', import.meta.url).pathname;
export const suffix = Date.now().toString(36);

/** Redis and a PostgreSQL database of the run's own (created here, dropped at the end). */
export interface ClusterServices {
  redisUrl: string;
  postgresUrl: string;
}

export interface Server {
  child: ChildProcess;
  url: string;
  dir?: string;
}

export async function startServer(
  kind: 'hutong' | 'socketio',
  env: Record<string, string> = {},
): Promise<Server> {
  // BENCH_SERVER_FLAGS: extra node flags for the server under test (e.g. --cpu-prof).
  const flags = process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? [];
  const dir = kind === 'hutong' ? mkdtempSync(join(tmpdir(), 'hutong-bench-im-')) : undefined;
  const child = spawn(process.execPath, [...flags, ...node, `${here}server.ts`, kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      ...(dir
        ? { BENCH_DATA_DIR: dir, BENCH_IM_STORE: 'sqlite', BENCH_IM_STORE_URL: join(dir, 'im.sqlite') }
        : {}),
      ...env,
    },
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${kind} server exited ${code}`)));
  });
  return { child, url: (JSON.parse(line) as { url: string }).url, ...(dir ? { dir } : {}) };
}

/** SIGTERM (so a --cpu-prof profile is written), SIGKILL after 5 s. */
export async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  if (server.dir) rmSync(server.dir, { recursive: true, force: true });
}

/** Busy and total jiffies of the whole machine (every process, Redis and PostgreSQL included). */
function machineCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - fields[3]! - fields[4]!, total };
}

export interface Phase {
  /** Latency quantiles, ms. */
  deliveredP50: number;
  deliveredP99: number;
  receiptP50: number;
  receiptP99: number;
  acceptedP99: number;
  sent: number;
  /** Delivered within the phase, per second. */
  deliveredPerSecond: number;
  notDelivered: number;
  noReceipt: number;
  duplicates: number;
  errors: Record<string, number>;
  /** The server's event-loop delay over the phase, ms (the worse node). */
  loopP99: number;
  loopMax: number;
  /** CPU over the phase, % of one core: the server process(es), the two load generators, the machine. */
  serverCpu: number;
  clientCpu: number;
  machineCpu: number;
  /** The servers' own counts over the phase (drain included), summed over the nodes. */
  server: { cpuMs: number; accepted: number; busy: number; storeRoundTrips: number; storeCommits: number };
}

interface ServerStats {
  cpuMs: number;
  loopP99: number;
  loopMax: number;
  im?: { accepted?: number; busy?: number };
  wire?: { roundTrips: number; commits: number };
}

export async function phase(servers: Server[], clients: ChildProcess[], op: object): Promise<Phase> {
  const serverStats = () =>
    Promise.all(servers.map((s) => json(`${s.url}/bench/stats`) as Promise<ServerStats>));
  const total = (stats: ServerStats[], of: (s: ServerStats) => number | undefined) =>
    stats.reduce((a, s) => a + (of(s) ?? 0), 0);
  const cpu = (stats: ServerStats[]) => total(stats, (s) => s.cpuMs);
  const before = await serverStats();
  const server0 = cpu(before);
  const machine0 = machineCpu();
  const t0 = performance.now();
  const results = await Promise.all(clients.map((c) => request(c, op, 'done')));
  const wall = performance.now() - t0;
  const machine1 = machineCpu();
  const after = await serverStats();
  const server1 = cpu(after);
  const all = (field: string) => results.flatMap((r) => r[field] as number[]);
  const sum = (field: string) => results.reduce((a, r) => a + (r[field] as number), 0);
  const delivered = all('delivered');
  const receipts = all('receipts');
  const errors: Record<string, number> = {};
  for (const r of results)
    for (const [code, n] of Object.entries(r.errors as Record<string, number>))
      errors[code] = (errors[code] ?? 0) + n;
  const ms = (op as { ms: number }).ms;
  return {
    deliveredP50: quantile(delivered, 0.5),
    deliveredP99: quantile(delivered, 0.99),
    receiptP50: quantile(receipts, 0.5),
    receiptP99: quantile(receipts, 0.99),
    acceptedP99: quantile(all('accepted'), 0.99),
    sent: sum('sent'),
    deliveredPerSecond: Math.round((sum('deliveredInPhase') * 1000) / ms),
    notDelivered: sum('notDelivered'),
    noReceipt: sum('noReceipt'),
    duplicates: sum('duplicates'),
    errors,
    loopP99: Math.max(...after.map((s) => s.loopP99)),
    loopMax: Math.max(...after.map((s) => s.loopMax)),
    // The server's CPU counters span the drain too: divide by the whole wall time.
    serverCpu: Math.round(((server1 - server0) / wall) * 100),
    clientCpu: Math.round((sum('clientCpuMs') / ms) * 100),
    machineCpu: Math.round(
      ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * cpus().length * 100,
    ),
    server: {
      cpuMs: server1 - server0,
      accepted: total(after, (s) => s.im?.accepted) - total(before, (s) => s.im?.accepted),
      busy: total(after, (s) => s.im?.busy) - total(before, (s) => s.im?.busy),
      storeRoundTrips: total(after, (s) => s.wire?.roundTrips) - total(before, (s) => s.wire?.roundTrips),
      storeCommits: total(after, (s) => s.wire?.commits) - total(before, (s) => s.wire?.commits),
    },
  };
}

export interface Session {
  servers: Server[];
  clients: ChildProcess[];
}

/** The servers of one kind and two load generators with the users logged in. */
export async function setUp(
  kind: Kind,
  tag: string,
  users: number,
  services: ClusterServices | undefined,
): Promise<Session> {
  const servers: Server[] = [];
  if (kind === 'socketio') servers.push(await startServer('socketio'));
  else if (kind === 'hutong') servers.push(await startServer('hutong'));
  else {
    // Two nodes, one after the other (the second finds the store migrated).
    for (const n of ['a', 'b']) {
      servers.push(
        await startServer('hutong', {
          HUTONG_BROKER: 'redis',
          HUTONG_BROKER_URL: services!.redisUrl,
          HUTONG_NODE_ID: `bench-im-${tag}-${n}`,
          BENCH_IM_STORE: 'postgres',
          BENCH_IM_STORE_URL: services!.postgresUrl,
        }),
      );
    }
  }
  // Pair i: users a<i> and b<i>, each sending to the other; with two nodes a on the first, b on
  // the second, so every message crosses nodes. A pair lives in one load generator (i mod 2).
  const clients = [0, 1].map(() => fork(`${here}clients.ts`, [], { execArgv: node, stdio: 'inherit' }));
  const specs: { id: string; peer: string; url: string }[][] = [[], []];
  for (let i = 0; i < users / 2; i += 1) {
    const a = `${tag}a${i}`;
    const b = `${tag}b${i}`;
    specs[i % 2]!.push(
      { id: a, peer: b, url: servers[0]!.url },
      { id: b, peer: a, url: servers[servers.length - 1]!.url },
    );
  }
  const protocol = kind === 'socketio' ? 'socketio' : 'hutong';
  await Promise.all(
    clients.map((c, i) => request(c, { op: 'open', kind: protocol, users: specs[i] }, 'opened')),
  );
  await new Promise((resolve) => setTimeout(resolve, 1000)); // presence reaches Redis
  return { servers, clients };
}

export async function tearDown({ servers, clients }: Session): Promise<void> {
  for (const c of clients) c.send({ op: 'close' });
  for (const s of servers) await stopServer(s);
}

/** The shared PostgreSQL store of the two-node runs: a database of its own, dropped at the end. */
export async function clusterServices(): Promise<ClusterServices | string> {
  const redis = await service('redis');
  if (redis.skip) return redis.skip;
  const postgres = await service('postgres');
  if (postgres.skip) return postgres.skip;
  const name = `hutong_bench_im_${suffix}`;
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgres.url);
  url.pathname = `/${name}`;
  return { redisUrl: redis.url, postgresUrl: url.toString() };
}

export async function dropClusterDatabase(services: ClusterServices | undefined): Promise<void> {
  if (!services) return;
  const name = new URL(services.postgresUrl).pathname.slice(1);
  const admin = new pg.Client({ connectionString: (await service('postgres')).url });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
