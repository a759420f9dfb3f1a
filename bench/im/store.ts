/**
 * The IM message store on its own, no sockets: what an accepted message costs on each backend.
 * `node --conditions=hutong-src --import tsx bench/im/store.ts`
 *
 * First one sender alone, one message at a time (BENCH_STORE_SOLO of them): what an accept costs
 * when there is nothing to group it with. Then two store instances on one database (as two nodes), senders in pairs, half of them on each
 * instance; every sender sends to its partner one message at a time (the next when `accept`
 * resolved), so about SENDERS accepts are in flight. Then every recipient device moves its cursor
 * the same number of times (`advance`, concurrently). Prints messages (and advances) per second,
 * round trips and commits per message as the driver sent them (store-counters.ts), as a Markdown
 * table. PostgreSQL and MariaDB/MySQL from HUTONG_TEST_POSTGRES_URL / HUTONG_TEST_MYSQL_URL, each
 * in a database of its own, created and dropped; SQLite in a temporary file (no round trips).
 *
 * Env: BENCH_STORE_MESSAGES (20000), BENCH_STORE_SENDERS (200), BENCH_STORE_SOLO (500), BENCH_STORE_KINDS
 * (sqlite,postgres,mysql), BENCH_ROUNDS (1; the median round is shown).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conversationOf, type MessageStore } from '@hutong/core';
import { createMessageStore } from '@hutong/server';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { service } from '../../testing/services.js';
import { quantile } from '../support.js';
import { countWire, resetCounts } from './store-counters.js';

const MESSAGES = Number(process.env.BENCH_STORE_MESSAGES ?? 20_000);
const SENDERS = Number(process.env.BENCH_STORE_SENDERS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const SOLO = Number(process.env.BENCH_STORE_SOLO ?? 500);
const allKinds = ['sqlite', 'postgres', 'mysql'] as const;
type Kind = (typeof allKinds)[number];
const kinds = allKinds.filter((k) =>
  (process.env.BENCH_STORE_KINDS ?? allKinds.join(',')).split(',').includes(k),
);
const suffix = Date.now().toString(36);

interface Round {
  /** One sender alone, one message at a time: accept latency and cost without group commit's help. */
  soloP50: number;
  soloRtPerMsg: number;
  msgPerSec: number;
  rtPerMsg: number;
  commitsPerMsg: number;
  advPerSec: number;
  rtPerAdv: number;
  commitsPerAdv: number;
}

/** A database of its own for one backend; `drop` removes it. */
async function database(kind: Kind): Promise<{ url: string; drop(): Promise<void> } | string> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'hutong-bench-store-'));
    return { url: join(dir, 'im.sqlite'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const svc = await service(kind);
  if (svc.skip) return svc.skip;
  const name = `hutong_bench_store_${suffix}`;
  const url = new URL(svc.url);
  url.pathname = `/${name}`;
  if (kind === 'postgres') {
    const admin = async (text: string) => {
      const client = new pg.Client({ connectionString: svc.url });
      await client.connect();
      await client.query(text);
      await client.end();
    };
    await admin(`CREATE DATABASE ${name}`);
    return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  }
  const admin = async (text: string) => {
    const conn = await mysql.createConnection(svc.url);
    await conn.query(text);
    await conn.end();
  };
  await admin(`CREATE DATABASE ${name}`);
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name}`) };
}

async function round(kind: Kind, url: string, run: number): Promise<Round> {
  const nodes: MessageStore[] = [0, 1].map(() => createMessageStore({ kind, url, prefix: `r${run}_` }));
  try {
    for (const node of nodes) await node.migrate();
    const perSender = Math.ceil(MESSAGES / SENDERS);
    const user = (i: number) => `r${run}u${i}`;
    const sent = perSender * SENDERS;
    const solo: number[] = [];
    resetCounts();
    for (let n = 0; n < SOLO; n += 1) {
      const at = performance.now();
      await nodes[0]!.accept({
        conv: conversationOf('solo-a', 'solo-b', false),
        sender: 'solo-a',
        target: 'solo-b',
        recipients: ['solo-b'],
        fp: `solo-${n}`,
        typeu: 0,
        content: 'x'.repeat(100),
        createdAt: Date.now(),
      });
      solo.push(performance.now() - at);
    }
    const soloCounts = resetCounts();
    let started = performance.now();
    await Promise.all(
      Array.from({ length: SENDERS }, async (_, i) => {
        const [me, partner] = [user(i), user(i ^ 1)];
        const store = nodes[i % 2]!;
        for (let n = 0; n < perSender; n += 1) {
          await store.accept({
            conv: conversationOf(me, partner, false),
            sender: me,
            target: partner,
            recipients: [partner],
            fp: `${me}-${n}`,
            typeu: 0,
            content: 'x'.repeat(100),
            createdAt: Date.now(),
          });
        }
      }),
    );
    const acceptMs = performance.now() - started;
    const accepts = resetCounts();
    started = performance.now();
    await Promise.all(
      Array.from({ length: SENDERS }, async (_, i) => {
        const store = nodes[i % 2]!;
        for (let n = 1; n <= perSender; n += 1) await store.advance(user(i), 'phone', n);
      }),
    );
    const advanceMs = performance.now() - started;
    const advances = resetCounts();
    return {
      soloP50: quantile(solo, 0.5),
      soloRtPerMsg: soloCounts.roundTrips / SOLO,
      msgPerSec: sent / (acceptMs / 1000),
      rtPerMsg: accepts.roundTrips / sent,
      commitsPerMsg: accepts.commits / sent,
      advPerSec: sent / (advanceMs / 1000),
      rtPerAdv: advances.roundTrips / sent,
      commitsPerAdv: advances.commits / sent,
    };
  } finally {
    await Promise.all(nodes.map((node) => node.close()));
  }
}

countWire();
const rows: string[] = [];
for (const kind of kinds) {
  const db = await database(kind);
  if (typeof db === 'string') {
    process.stderr.write(`skipping ${kind}: ${db}\n`);
    continue;
  }
  try {
    const rounds: Round[] = [];
    for (let run = 0; run < ROUNDS; run += 1) {
      rounds.push(await round(kind, db.url, run));
      process.stderr.write(`${kind} round ${run + 1}: ${JSON.stringify(rounds.at(-1))}\n`);
    }
    const median = rounds.sort((a, b) => a.msgPerSec - b.msgPerSec)[Math.floor(rounds.length / 2)]!;
    const wire = (x: number) => (kind === 'sqlite' ? '–' : x.toFixed(3));
    rows.push(
      `| ${kind} | ${median.soloP50.toFixed(2)} ms | ${wire(median.soloRtPerMsg)} | ${median.msgPerSec.toFixed(0)} | ${wire(median.rtPerMsg)} | ${wire(median.commitsPerMsg)} | ` +
        `${median.advPerSec.toFixed(0)} | ${wire(median.rtPerAdv)} | ${wire(median.commitsPerAdv)} |`,
    );
  } finally {
    await db.drop();
  }
}
process.stdout.write(
  `${SENDERS} senders in pairs on 2 store instances, ${MESSAGES} messages, median of ${ROUNDS} round(s)\n\n` +
    '| backend | alone: accept p50 | alone: round trips / msg | accepted msg/s | round trips / msg | commits / msg | advances/s | round trips / advance | commits / advance |\n' +
    '|---|---|---|---|---|---|---|---|---|\n' +
    `${rows.join('\n')}\n`,
);
