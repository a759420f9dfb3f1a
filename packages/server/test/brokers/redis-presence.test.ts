/**
 * RedisBroker's presence beyond the shared suite: what `whereAre` costs on the wire (round trips
 * counted by a proxy that parses the commands), and a fresh answer after the subscriber reconnects.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ManualClock, until } from '@hutong/core/testing';
import { Redis } from 'ioredis';
import { startRedisWire } from '../../../../testing/redis-wire.js';
import { service, uniqueSuffix } from '../../../../testing/services.js';
import { startTcpProxy } from '../../../../testing/tcp-proxy.js';
import { RedisBroker, type RedisBrokerOptions } from '../../src/brokers/redis-broker.js';
import { RedisNodeRoster } from '../../src/brokers/redis-node-roster.js';

const redis = await service('redis');

describe('RedisBroker presence', { skip: redis.skip }, () => {
  const brokers: RedisBroker[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const broker of brokers) await broker.close();
    for (const cleanup of cleanups) await cleanup();
  });
  const started = async (options: Omit<RedisBrokerOptions, 'url'> & { url?: string }) => {
    const broker = new RedisBroker({ url: redis.url, ...options });
    await broker.start(() => {});
    brokers.push(broker);
    return broker;
  };
  const placesOf = async (broker: RedisBroker, userId: string) =>
    ((await broker.whereAre([userId])).get(userId) ?? []).sort();

  it('whereAre: one round trip on a miss, none once warm, "nowhere" included; news keeps it current', async (t) => {
    const prefix = `hutong-test:${uniqueSuffix()}:`;
    const wire = await startRedisWire(redis.url);
    cleanups.push(() => wire.close());
    // A long node TTL: no heartbeat falls inside the counted calls.
    const [a, b] = [
      await started({ prefix, nodeTtlMs: 60_000 }),
      await started({ prefix, nodeTtlMs: 60_000 }),
    ];
    const z = await started({ prefix, nodeTtlMs: 60_000, url: wire.url(redis.url) });
    await a.enter('u1');
    await b.enter('u1');
    await a.enter('u2');
    const cost = async (call: () => Promise<unknown>, times = 1) => {
      wire.reset();
      for (let i = 0; i < times; i += 1) await call();
      return { flights: wire.counts.flights / times, commands: wire.counts.commands / times };
    };

    const miss = await cost(() => z.whereAre(['u1']));
    assert.deepEqual(miss, { flights: 1, commands: 1 }, 'a miss: one SMEMBERS, liveness from memory');
    assert.deepEqual(await cost(() => z.whereAre(['u1']), 100), { flights: 0, commands: 0 });
    assert.deepEqual(await placesOf(z, 'u1'), [a.nodeId, b.nodeId].sort());
    assert.deepEqual(await cost(() => z.whereAre(['offline'])), { flights: 1, commands: 1 });
    assert.deepEqual(await cost(() => z.whereAre(['offline']), 100), { flights: 0, commands: 0 });
    const batch = Array.from({ length: 10 }, (_, i) => `m${i}`);
    assert.deepEqual(await cost(() => z.whereAre(batch)), { flights: 1, commands: 10 }, 'misses pipelined');
    assert.deepEqual(await cost(() => z.whereAre(['u1', 'offline', ...batch]), 100), {
      flights: 0,
      commands: 0,
    });

    assert.deepEqual(await placesOf(z, 'u2'), [a.nodeId]);
    wire.reset();
    await a.leave('u1');
    await b.enter('u2');
    await until(async () => (await placesOf(z, 'u1')).join() === b.nodeId, 'u1 only on b', 2000);
    await until(async () => (await placesOf(z, 'u2')).length === 2, 'u2 on a and b', 2000);
    assert.equal(wire.counts.flights, 0, 'changes arrive as news: nothing read again');
    t.diagnostic(
      `whereAre round trips: miss ${miss.flights} (${miss.commands} command), warm 0; before the cache: 2 per call whenever a user is online (SMEMBERS per user, then MGET of node liveness), 1 when nobody is`,
    );
  });

  it('node liveness is read again before use once over half a node TTL old, once for every caller', async () => {
    const prefix = `hutong-test:${uniqueSuffix()}:`;
    const wire = await startRedisWire(redis.url);
    const connection = new Redis(wire.url(redis.url), { lazyConnect: true });
    cleanups.push(async () => {
      connection.disconnect();
      await wire.close();
    });
    await connection.connect();
    const other = await started({ prefix, nodeTtlMs: 60_000 });
    const clock = new ManualClock();
    const roster = new RedisNodeRoster({
      redis: connection,
      prefix,
      nodeId: 'roster',
      nodeTtlMs: 1000,
      channel: `${prefix}presence`,
      now: clock.now,
    });
    assert.equal(roster.isLive(other.nodeId), false, 'not read yet');
    assert.ok(roster.current(), 'never read: a reading is due');
    await roster.current();
    assert.equal(roster.isLive(other.nodeId), true);
    wire.reset();
    clock.advance(500);
    assert.equal(roster.current(), undefined, 'half a TTL old: trusted');
    clock.advance(1);
    const [first, second] = [roster.current(), roster.current()];
    assert.ok(first);
    assert.equal(first, second, 'one reading for every caller');
    await first;
    assert.equal(wire.counts.flights, 1);
    assert.equal(roster.current(), undefined);
    await connection.del(`${prefix}node:roster`, `${prefix}nodes`);
  });

  it('after the subscriber reconnects, answers are read again: news missed meanwhile shows', async () => {
    const prefix = `hutong-test:${uniqueSuffix()}:`;
    const proxy = await startTcpProxy(redis.url);
    cleanups.push(() => proxy.close());
    const a = await started({ prefix, nodeTtlMs: 60_000 });
    // A cache lifetime far beyond the test: only the reconnect can make z read again.
    const z = await started({
      prefix,
      nodeTtlMs: 60_000,
      presenceCacheTtlMs: 600_000,
      url: proxy.url(redis.url),
    });
    assert.deepEqual(await placesOf(z, 'u'), []);
    proxy.down();
    await a.enter('u'); // z hears nothing of it
    proxy.up();
    await until(
      async () => (await placesOf(z, 'u').catch(() => [])).join() === a.nodeId,
      'u on a, as z sees it after reconnecting',
      5000,
    );
  });

  it('a node that closes drops out of the others’ answers at once, not after its TTL', async () => {
    const prefix = `hutong-test:${uniqueSuffix()}:`;
    const a = new RedisBroker({ url: redis.url, prefix, nodeTtlMs: 60_000 });
    await a.start(() => {});
    const z = await started({ prefix, nodeTtlMs: 60_000 });
    await a.enter('u');
    await until(async () => (await placesOf(z, 'u')).join() === a.nodeId, 'u on a', 2000);
    await a.close();
    await until(async () => (await placesOf(z, 'u')).length === 0, 'u nowhere once a closed', 2000);
  });
});
