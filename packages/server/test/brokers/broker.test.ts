import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { BusPacket, RoomMove, RoutedPacket } from '@hutong/core';
import { type BrokerCluster, brokerSuite, until } from '@hutong/core/testing';
import { Redis } from 'ioredis';
import { service, uniqueSuffix } from '../../../../testing/services.js';
import { startTcpProxy, type TcpProxy } from '../../../../testing/tcp-proxy.js';
import { IpcBroker } from '../../src/brokers/ipc-broker.js';
import { IpcBus } from '../../src/brokers/ipc-bus.js';
import { LocalBroker, LocalBus } from '../../src/brokers/local-broker.js';
import { RedisBroker } from '../../src/brokers/redis-broker.js';

const redis = await service('redis');

brokerSuite('in-process', async (): Promise<BrokerCluster> => {
  const bus = new LocalBus();
  const brokers: LocalBroker[] = [];
  return {
    deathMs: 100,
    async node() {
      const broker = new LocalBroker(bus);
      const inbox: BusPacket[][] = [];
      await broker.start((p) => inbox.push(p));
      brokers.push(broker);
      return { broker, inbox, kill: () => broker.close() };
    },
    async close() {
      await Promise.all(brokers.map((b) => b.close()));
    },
  };
});

/**
 * Both ends of a worker's IPC channel: what one side sends, the other receives asynchronously, as
 * a structured clone (what crosses a real IPC channel is serialized too).
 */
function ipcPair() {
  const [worker, primary] = [new EventEmitter(), new EventEmitter()];
  let cut = false;
  const deliver = (to: EventEmitter) => (message: unknown) => {
    // As process.send on a channel whose other end is gone.
    if (cut) throw Object.assign(new Error('Channel closed'), { code: 'ERR_IPC_CHANNEL_CLOSED' });
    const copy = structuredClone(message);
    setImmediate(() => to.emit('message', copy));
  };
  return {
    worker: { send: deliver(primary), on: worker.on.bind(worker) },
    primary: { send: deliver(worker), on: primary.on.bind(primary) },
    /** The worker dies: nothing crosses any more. */
    cut: () => {
      cut = true;
    },
  };
}

brokerSuite('in-box over IPC (--workers)', async (): Promise<BrokerCluster> => {
  const bus = new IpcBus();
  const brokers: IpcBroker[] = [];
  let n = 0;
  return {
    deathMs: 100,
    async node() {
      const pair = ipcPair();
      n += 1;
      bus.join(pair.primary, `w${n}`);
      const broker = new IpcBroker(pair.worker, `w${n}`);
      const inbox: BusPacket[][] = [];
      await broker.start((p) => inbox.push(p));
      brokers.push(broker);
      return {
        broker,
        inbox,
        kill: async () => {
          pair.cut();
          await bus.leave(pair.primary);
        },
      };
    },
    async close() {
      await Promise.all(brokers.map((b) => b.close().catch(() => {})));
    },
  };
});

brokerSuite(
  'Redis',
  async (): Promise<BrokerCluster> => {
    const prefix = `hutong-test:${uniqueSuffix()}:`;
    const nodes: { broker: RedisBroker; proxy: TcpProxy }[] = [];
    return {
      deathMs: 3000,
      async node() {
        // Each node reaches Redis through its own proxy, so a crash can be played by cutting it.
        const proxy = await startTcpProxy(redis.url);
        // A presence cache kept a minute: the suite's presence changes, awaited 2 s at most, are
        // seen through the news, never by the cache expiring.
        const broker = new RedisBroker({
          url: proxy.url(redis.url),
          prefix,
          nodeTtlMs: 900,
          presenceCacheTtlMs: 60_000,
        });
        const inbox: BusPacket[][] = [];
        await broker.start((p) => inbox.push(p));
        nodes.push({ broker, proxy });
        return { broker, inbox, kill: async () => proxy.down() };
      },
      async close() {
        for (const { broker, proxy } of nodes) {
          await broker.close();
          await proxy.close();
        }
      },
    };
  },
  { skip: redis.skip },
);

test('an in-process broker alone on its bus skips offers; with another node it offers', async () => {
  const bus = new LocalBus();
  const a = new LocalBroker(bus, 'a');
  await a.start(() => {});
  assert.equal(a.alone(), true);
  const b = new LocalBroker(bus, 'b');
  await b.start(() => {});
  assert.equal(a.alone(), false);
  assert.equal(b.alone(), false);
  await b.close();
  assert.equal(a.alone(), true, 'alone again once the other node is gone');
  await a.close();
});

test('Redis carries room packets in their own envelope, which a reader of push arrays ignores', {
  skip: redis.skip,
}, async () => {
  const prefix = `hutong-test:${uniqueSuffix()}:`;
  const broker = new RedisBroker({ url: redis.url, prefix, nodeTtlMs: 900 });
  await broker.start(() => {});
  const raw = new Redis(redis.url);
  const heard: string[] = [];
  raw.on('message', (_channel: string, message: string) => heard.push(message));
  await raw.subscribe(`${prefix}node:peer`);
  try {
    const move: RoomMove = { op: 'join', room: 'r', tunnelIds: ['t1'] };
    const push: RoutedPacket = { tunnelIds: ['t2'], type: 'message', content: 'x' };
    await broker.send('peer', [push, move, { ...move, op: 'leave' }, push]);
    await until(() => heard.length === 3, 'three messages on the channel', 2000);
    assert.deepEqual(
      heard.map((m) => JSON.parse(m)),
      [[push], { rooms: [move, { ...move, op: 'leave' }] }, [push]],
    );
    // What a node of an earlier version does with each: arrays are pushes, the rest is not its.
    const pushesSeenByOld = heard.map((m) => JSON.parse(m)).filter((v) => Array.isArray(v));
    assert.deepEqual(pushesSeenByOld, [[push], [push]], 'no room packet reads as a push');
  } finally {
    raw.disconnect();
    await broker.close();
  }
});
