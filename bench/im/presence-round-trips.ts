/**
 * What IM presence costs on Redis: round trips and commands per `whereAre`, as the IM hub calls it
 * (once per message and per receipt). `node --conditions=hutong-src --import tsx
 * bench/im/presence-round-trips.ts [module]`: `module` exports a `RedisBroker` (default
 * `@hutong/server`'s), so an earlier version can be measured the same way.
 *
 * Three brokers on one Redis (HUTONG_TEST_REDIS_URL): two hold users, the third asks, its
 * connections through a proxy that counts what it sends (testing/redis-wire.ts). Each call is
 * awaited before the next, so flights counted are round trips. Prints a Markdown table.
 */
import type { Broker } from '@hutong/core';
import { startRedisWire } from '../../testing/redis-wire.js';
import { service, uniqueSuffix } from '../../testing/services.js';

type BrokerClass = new (options: { url: string; prefix: string; nodeTtlMs: number }) => Broker;

const CALLS = 1000;
const from = process.argv[2] ?? '@hutong/server';
const { RedisBroker } = (await import(from)) as { RedisBroker: BrokerClass };
const redis = await service('redis');
if (redis.skip) throw new Error(redis.skip);

const wire = await startRedisWire(redis.url);
const prefix = `hutong-bench:${uniqueSuffix()}:`;
// A node TTL longer than the run: no heartbeat among the counted calls.
const make = async (url: string) => {
  const broker = new RedisBroker({ url, prefix, nodeTtlMs: 600_000 });
  await broker.start(() => {});
  return broker;
};
const [a, b, z] = [await make(redis.url), await make(redis.url), await make(wire.url(redis.url))];
const users = Array.from({ length: CALLS }, (_, i) => `u${i}`);
for (const [i, user] of users.entries()) await (i % 2 ? a : b).enter(user);
await a.enter('both');
await b.enter('both');

/** Round trips and commands per call of `ask(i)`, over CALLS calls. */
async function measure(ask: (i: number) => Promise<unknown>) {
  wire.reset();
  for (let i = 0; i < CALLS; i += 1) await ask(i);
  return { roundTrips: wire.counts.flights / CALLS, commands: wire.counts.commands / CALLS };
}

const rows: [string, { roundTrips: number; commands: number }][] = [
  ['a user asked for the first time (a miss)', await measure((i) => z.whereAre([users[i]!]))],
  ['the same users again (one user per message)', await measure((i) => z.whereAre([users[i]!]))],
  ['one online user, every message', await measure(() => z.whereAre(['both']))],
  ['one offline user, every message', await measure(() => z.whereAre(['offline']))],
  ['a group of 10, every message', await measure(() => z.whereAre(users.slice(0, 10)))],
];
console.log(`RedisBroker from ${from}: per whereAre call, ${CALLS} calls each\n`);
console.log('| call | round trips | commands |\n|---|---|---|');
for (const [what, cost] of rows) console.log(`| ${what} | ${cost.roundTrips} | ${cost.commands} |`);

for (const broker of [a, b, z]) await broker.close();
await wire.close();
