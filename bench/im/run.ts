/**
 * IM benchmark (`npm run bench:im`): Hutong's `/im` against a Socket.IO 4 chat with
 * acknowledgements, in one run, with the same load generator (two client processes speaking each
 * protocol over raw `ws`). Users in pairs, each sending to its partner: (a) a fixed offered load —
 * p50/p99 of send → delivered (the recipient has it) and send → receipt (the sender is told); (b)
 * saturation — every sender keeps a window of messages without a receipt in flight; delivered
 * messages per second. Servers: Hutong on one node (IM store: a SQLite file), Hutong on two nodes
 * over Redis sharing a PostgreSQL store (every message crosses nodes), Socket.IO (no storage).
 * Writes its section into bench/results.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { quantile } from '../support.js';
import {
  allKinds,
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
const RATE = Number(process.env.BENCH_IM_RATE ?? 2000);
/** A light fixed load too, which the two-node setup can carry on this box. */
const LIGHT_RATE = Number(process.env.BENCH_IM_LIGHT_RATE ?? 200);
const MS = Number(process.env.BENCH_IM_MS ?? 10_000);
const WINDOW = Number(process.env.BENCH_IM_WINDOW ?? 32);
const WARMUP_MS = Number(process.env.BENCH_IM_WARMUP_MS ?? 2000);
const DRAIN_MS = 5000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** `BENCH_KINDS=hutong` measures a subset (quick experiments; results.md is left alone). */
const kinds = allKinds.filter((k) => (process.env.BENCH_KINDS ?? allKinds.join(',')).split(',').includes(k));

const median = (values: number[]) => quantile(values, 0.5);

interface Row {
  kind: Kind;
  light: Phase;
  fixed: Phase;
  saturated: Phase;
}

/**
 * The fixed loads (a warm-up at the light rate, the light rate, then RATE) on one set of servers;
 * saturation on fresh ones, so a backlog left by an overloaded fixed phase does not count against it.
 */
async function measure(kind: Kind, round: number): Promise<Row> {
  const rate = (perSecond: number, ms: number) => ({
    op: 'rate',
    rate: perSecond / 2,
    ms,
    drainMs: DRAIN_MS,
  });
  let session = await setUp(kind, `${suffix}r${round}f`, USERS, services);
  if (WARMUP_MS > 0) await phase(session.servers, session.clients, rate(LIGHT_RATE, WARMUP_MS));
  const light = await phase(session.servers, session.clients, rate(LIGHT_RATE, MS));
  const fixed = await phase(session.servers, session.clients, rate(RATE, MS));
  await tearDown(session);
  session = await setUp(kind, `${suffix}r${round}s`, USERS, services);
  const saturated = await phase(session.servers, session.clients, {
    op: 'window',
    window: WINDOW,
    ms: MS,
    drainMs: DRAIN_MS,
  });
  await tearDown(session);
  return { kind, light, fixed, saturated };
}

const found = kinds.includes('cluster') ? await clusterServices() : 'not measured';
const services: ClusterServices | undefined = typeof found === 'string' ? undefined : found;
const skipCluster = typeof found === 'string' ? found : undefined;
const runs = new Map<Kind, Row[]>();
try {
  // Rounds interleave the servers so a slow spell of the shared machine hits each alike.
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const kind of kinds) {
      if (kind === 'cluster' && skipCluster) continue;
      const row = await measure(kind, round);
      runs.set(kind, [...(runs.get(kind) ?? []), row]);
      console.log(JSON.stringify({ round, ...row }));
    }
  }
} finally {
  await dropClusterDatabase(services);
}

type Which = 'light' | 'fixed' | 'saturated';
/** Per kind and phase: the median of each figure over the rounds (counts summed). */
function summary(kind: Kind): (Record<Which, Phase> & { rounds: Row[] }) | undefined {
  const rows = runs.get(kind);
  if (!rows) return undefined;
  const pick = (which: Which): Phase => {
    const phases = rows.map((r) => r[which]);
    const m = (field: keyof Phase) => median(phases.map((p) => p[field] as number));
    const total = (field: keyof Phase) => phases.reduce((a, p) => a + (p[field] as number), 0);
    const errors: Record<string, number> = {};
    for (const p of phases)
      for (const [code, n] of Object.entries(p.errors)) errors[code] = (errors[code] ?? 0) + n;
    return {
      deliveredP50: m('deliveredP50'),
      deliveredP99: m('deliveredP99'),
      receiptP50: m('receiptP50'),
      receiptP99: m('receiptP99'),
      acceptedP99: m('acceptedP99'),
      sent: total('sent'),
      deliveredPerSecond: m('deliveredPerSecond'),
      notDelivered: total('notDelivered'),
      noReceipt: total('noReceipt'),
      duplicates: total('duplicates'),
      errors,
      loopP99: m('loopP99'),
      loopMax: m('loopMax'),
      serverCpu: m('serverCpu'),
      clientCpu: m('clientCpu'),
      machineCpu: m('machineCpu'),
      server: {
        cpuMs: median(phases.map((p) => p.server.cpuMs)),
        accepted: median(phases.map((p) => p.server.accepted)),
        busy: phases.reduce((a, p) => a + p.server.busy, 0),
        storeRoundTrips: median(phases.map((p) => p.server.storeRoundTrips)),
        storeCommits: median(phases.map((p) => p.server.storeCommits)),
      },
    };
  };
  return { light: pick('light'), fixed: pick('fixed'), saturated: pick('saturated'), rounds: rows };
}

const summaries = new Map(kinds.map((k) => [k, summary(k)] as const));
for (const [kind, s] of summaries) {
  if (s) console.log(JSON.stringify({ kind, light: s.light, fixed: s.fixed, saturated: s.saturated }));
}
if (kinds.length < allKinds.length || skipCluster) {
  if (skipCluster && kinds.includes('cluster')) console.log(`two-node runs skipped: ${skipCluster}`);
  console.log('a subset or a skipped service: bench/results.md left alone');
  process.exit(0);
}

const io = summaries.get('socketio')!;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '–');
const f = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms < 1000 ? ms.toFixed(1) : ms.toFixed(0));
const names: Record<Kind, string> = {
  socketio: 'Socket.IO 4 (acks, one node, **no storage**)',
  hutong: 'Hutong, one node, SQLite file',
  cluster: 'Hutong, 2 nodes over Redis, shared PostgreSQL',
};
const problems = (p: Phase) => {
  const errs = Object.entries(p.errors).map(([code, n]) => `${n}× error ${code}`);
  return [`${p.notDelivered} / ${p.noReceipt}`, p.duplicates ? `${p.duplicates} resent dup.` : '', ...errs]
    .filter(Boolean)
    .join(', ');
};
const fixedRow = (kind: Kind, which: 'light' | 'fixed', offered: number) => {
  const p = summaries.get(kind)![which];
  const peer = io[which];
  return `| ${names[kind]} | ${offered} | ${f(p.deliveredP50)} / ${f(p.deliveredP99)} ms | **${ratio(p.deliveredP99, peer.deliveredP99)}** | ${f(p.receiptP50)} / ${f(p.receiptP99)} ms | **${ratio(p.receiptP99, peer.receiptP99)}** | ${f(p.acceptedP99)} ms | ${f(p.loopP99)} / ${f(p.loopMax)} ms | ${p.serverCpu} % / ${p.machineCpu} % | ${problems(p)} |`;
};
const fixedTable = [
  ...kinds.map((kind) => fixedRow(kind, 'fixed', RATE)),
  ...kinds.map((kind) => fixedRow(kind, 'light', LIGHT_RATE)),
].join('\n');
const saturatedTable = kinds
  .map((kind) => {
    const { saturated: p, rounds } = summaries.get(kind)!;
    const each = rounds.map((r) => r.saturated.deliveredPerSecond).join(' / ');
    return `| ${names[kind]} | **${p.deliveredPerSecond}** | ${ratio(p.deliveredPerSecond, io.saturated.deliveredPerSecond)} | ${f(p.deliveredP50)} / ${f(p.deliveredP99)} ms | ${f(p.receiptP99)} ms | ${p.serverCpu} % / ${p.clientCpu} % / ${p.machineCpu} % | ${problems(p)} | ${each} |`;
  })
  .join('\n');
const hutong = summaries.get('hutong')!;
const cluster = summaries.get('cluster')!;
const date = new Date().toISOString().slice(0, 10);
const marker = '## IM: Hutong vs Socket.IO';
const section = `${marker}

${USERS} users in ${USERS / 2} pairs, each user sending to its partner, spread over two load-generator
processes speaking each protocol with raw \`ws\` (Socket.IO: engine.io v4 framing by hand); 100-byte
message bodies; loopback. A message is *delivered* when the recipient has it and *receipted* when
the sender is told so. Hutong: the recipient gets the type-2 frame and ACKs it (type 4), the sender
gets a type-60 receipt (before that, the server's type-4 ACK: *accepted*, i.e. stored). Socket.IO:
the sender emits \`msg\` with an ack callback (answered at once: *accepted*), the server forwards it
with \`timeout(3000).emit(…, ack)\` (resent up to 3 times) and on the recipient's ack emits
\`receipt\` to the sender. **Socket.IO stores nothing; Hutong stores every message and its inbox
entry before the sender's ACK, and every device cursor move**: in a SQLite file (WAL,
synchronous=NORMAL) on one node; in one PostgreSQL database shared by two nodes over Redis, each pair
split across the nodes so every message and every receipt crosses nodes. Hutong's per-connection
limit (50 data frames/s by default) is raised for the bench (\`imMaxMessagesPerSecond\`); logins use
\`imVerifyLogin\` (token \`token-<userId>\`).

(a) Fixed offered loads, messages/s in total, ${MS / 1000} s each: a ${WARMUP_MS / 1000} s warm-up at ${LIGHT_RATE}/s, then ${LIGHT_RATE}/s, then ${RATE}/s,
on one set of servers. (b) Saturation, on fresh servers: every user keeps ${WINDOW} messages without a receipt in
flight for ${MS / 1000} s; delivered messages per second within those ${MS / 1000} s. Median of ${ROUNDS} rounds interleaving the
servers (counts summed). "lost" = not delivered / no receipt ${DRAIN_MS / 1000} s after the phase ended;
"resent dup." = deliveries of a message the recipient already had (the server resends after the
device's resend time, at least 3 s, without an ACK). Event loop: the server's delay p99 / max over the phase (the worse node). CPU in % of one
core (the machine has ${cpus().length}): the server process(es), the load generators, the whole machine (Redis and
PostgreSQL included).

Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ${date}; other work may share it (the machine
CPU column shows it; the last column of (b) shows the spread between rounds).
Command: \`npm run bench:im\` (\`BENCH_IM_USERS\`, \`BENCH_IM_RATE\`, \`BENCH_IM_LIGHT_RATE\`, \`BENCH_IM_MS\`,
\`BENCH_IM_WINDOW\`, \`BENCH_IM_WARMUP_MS\`, \`BENCH_ROUNDS\`; \`BENCH_KINDS=hutong,socketio\` measures a subset and
leaves this file alone; \`BENCH_SERVER_FLAGS="--cpu-prof --cpu-prof-dir=DIR"\` profiles the servers, and
\`bench/im/profile.ts\` summarises a profile; Redis and PostgreSQL from \`HUTONG_TEST_REDIS_URL\` /
\`HUTONG_TEST_POSTGRES_URL\`, a database of its own created and dropped). The load generators share the
2 cores with the servers (and, for two nodes, with Redis and PostgreSQL), so absolute figures are low;
read the ratios. Targets (issue): one node on SQLite ≥ 10,000 delivered msg/s, p99 to delivery at
${RATE}/s ≤ 1.0× Socket.IO's; two nodes ≥ 3,000 delivered msg/s with no collapse past the peak (the
sweep), p99 ≤ 2× Socket.IO's. This run, one node: p99 to delivery
${ratio(hutong.fixed.deliveredP99, io.fixed.deliveredP99)}, to receipt ${ratio(hutong.fixed.receiptP99, io.fixed.receiptP99)} Socket.IO's at ${RATE}/s; ${hutong.saturated.deliveredPerSecond} delivered msg/s at saturation;
two nodes: p99 to delivery ${ratio(cluster.fixed.deliveredP99, io.fixed.deliveredP99)} Socket.IO's at ${RATE}/s; ${cluster.saturated.deliveredPerSecond} delivered msg/s at saturation.

Where the time goes (server profiles, \`bench/im/profile.ts\`, and the store alone, \`bench/im/store.ts\`, on
this machine, 2026-12-07). One node: about 110 µs of server CPU per message at saturation (Socket.IO
about 35 µs, storing nothing): the SQLite store's group commit (the accepts and cursor moves of one
turn of the event loop in one IMMEDIATE transaction, about 30–40 µs a message; checkpoints on a worker
thread), one write per socket per turn (frames corked until the turn ends; it was one \`writev\` per
frame, 8,000 → 9,300 msg/s), and the JSON of the frames. Writing on a worker thread instead
(\`HUTONG_IM_SQLITE_WRITER=worker\`) cost more CPU per message and a higher p99 than it saved (8,723 vs
8,964 msg/s at saturation, p99 at 2,000/s 8.9–16.7 vs 4.5–11.0 ms, 4 runs each), so writes stay on
the event loop. Two nodes: an accepted message costs PostgreSQL one statement per group-committed
batch (1 round trip and 1 commit alone, about 0.01 of each under load; it was 8 round trips and 3
commits), the recipient's node writes it from the signal without reading the inbox, and presence is
read from memory (Redis: the message's signal and the receipt's, about 2 commands a message; it was 6
round trips). The sweep below shows the per-message costs measured in the servers.

(a) Fixed offered load:

| server | msg/s | delivered p50 / p99 | p99 vs io | receipt p50 / p99 | p99 vs io | accepted p99 | event loop p99 / max | CPU server / machine | lost, errors |
|---|---|---|---|---|---|---|---|---|---|
${fixedTable}

(b) Saturation, window ${WINDOW} per user:

| server | delivered msg/s | vs io | delivered p50 / p99 | receipt p99 | CPU server / load gen / machine | lost, errors | runs (msg/s) |
|---|---|---|---|---|---|---|---|
${saturatedTable}
`;

const resultsFile = new URL('../results.md', import.meta.url);
const current = readFileSync(resultsFile, 'utf8');
let next: string;
if (current.includes(marker)) {
  // Replace this section only: up to the next `## ` heading.
  const start = current.indexOf(marker);
  const end = current.indexOf('\n## ', start + marker.length);
  next = `${current.slice(0, start)}${section}${end === -1 ? '' : `\n${current.slice(end + 1)}`}`;
} else next = `${current.trimEnd()}\n\n${section}`;
writeFileSync(resultsFile, next);
console.log(section);
