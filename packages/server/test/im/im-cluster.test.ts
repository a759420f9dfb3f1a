/**
 * Three IM nodes in one process sharing one message store (as a cluster shares MySQL/PostgreSQL):
 * messages, receipts, devices and duplicate logins across nodes, and a node that dies without
 * losing an accepted message. Over the in-process broker (createCluster: full Hutong nodes), and
 * over Redis with a broker per node.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { imTypes } from '@hutong/protocol/im';
import { service, uniqueSuffix } from '../../../../testing/services.js';
import { RedisBroker } from '../../src/brokers/redis-broker.js';
import { IM_PATH, type ImHub, imCloseCodes, imExtensionTypes } from '../../src/im/im-hub.js';
import { SqliteMessageStore } from '../../src/im/sqlite-message-store.js';
import { type Cluster, createCluster, until } from '../../src/testing/index.js';
import { type Frame, online, startIm, testVerifyLogin } from './im-fixtures.js';

const redis = await service('redis');
const isData = (f: Frame) => f.type === imTypes.data;

/**
 * What every IM cluster does: `url(n)` is node n's IM endpoint (of three), `killLast()` makes the
 * last node go away (its sockets drop, it leaves the cluster).
 */
function imClusterTests(
  url: (n: number) => string,
  killLast: () => Promise<void>,
  hub: (n: number) => ImHub,
) {
  test('a logout on one node closes that token’s connection on another (4401)', async () => {
    const gone = (await online(url(1), 'dora', { extra: '{"deviceId":"phone"}' })).client;
    let code: number | undefined;
    void gone.closed.then((c) => {
      code = c;
    });
    // Told again until node 2's presence is known on node 1 (an at-most-once signal, idempotent).
    await until(() => {
      if (code === undefined) hub(0).endSession('dora', 'token-dora');
      return code !== undefined;
    }, 'closed by the logout on another node');
    assert.equal(code, imCloseCodes.loggedOut);
  });

  test('a message crosses nodes; the recipient’s ACK comes back as a receipt', async () => {
    const alice = (await online(url(0), 'alice')).client;
    const bob = (await online(url(1), 'bob')).client;
    await new Promise((resolve) => setTimeout(resolve, 50)); // presence registered
    alice.say('alice', 'bob', 'across', 'x1');
    await alice.next((f) => f.type === imTypes.ack);
    const got = await bob.next(isData, 'the message on node 2');
    assert.equal(got['dataContent'], 'across');
    bob.ack(got);
    const receipt = await alice.next((f) => f.type === imExtensionTypes.deliveryReceipt, 'receipt on node 1');
    assert.equal(JSON.parse(receipt['dataContent']).by, 'bob');
    alice.ws.close();
    bob.ws.close();
  });

  test('devices of one user on two nodes both get it; a fresh login elsewhere kicks the same device', async () => {
    const sender = (await online(url(0), 'sender')).client;
    const phone = (await online(url(1), 'carol', { extra: '{"deviceId":"phone"}' })).client;
    const pc = (await online(url(2), 'carol', { extra: '{"deviceId":"pc"}' })).client;
    await new Promise((resolve) => setTimeout(resolve, 50));
    sender.say('sender', 'carol', 'both', 'y1');
    assert.equal((await phone.next(isData))['dataContent'], 'both');
    assert.equal((await pc.next(isData))['dataContent'], 'both');
    const phoneAgain = (await online(url(0), 'carol', { extra: '{"deviceId":"phone"}' })).client;
    const kick = await phone.next((f) => f.type === imTypes.kickout, 'kicked by the login on node 1');
    assert.equal(JSON.parse(kick['dataContent']).code, 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(
      pc.frames.some((f) => f.type === imTypes.kickout),
      false,
      'another device stays',
    );
    for (const c of [sender, pc, phoneAgain]) c.ws.close();
  });

  test('a node dies: what was accepted for its users reaches them on another node, in order', async () => {
    const sender = (await online(url(0), 'sender2')).client;
    const erin = (await online(url(2), 'erin')).client;
    await new Promise((resolve) => setTimeout(resolve, 50));
    sender.say('sender2', 'erin', 'before', 'z0');
    erin.ack(await erin.next(isData));
    // A connection's frames are handled in order: once the keep-alive is answered, the ACK is in.
    erin.send({ type: imTypes.keepAlive, from: 'erin' });
    await erin.next((f) => f.type === imTypes.pong, 'the pong after the ACK');
    // Node 3 goes away: its sockets drop and it leaves the cluster.
    await killLast();
    await erin.closed;
    for (let i = 1; i <= 20; i += 1) sender.say('sender2', 'erin', `m${i}`, `z${i}`);
    for (let i = 1; i <= 20; i += 1)
      await sender.next((f) => f.type === imTypes.ack && f['dataContent'] === `z${i}`);
    const back = (await online(url(1), 'erin')).client;
    const got: string[] = [];
    for (let i = 1; i <= 20; i += 1) got.push((await back.next(isData))['dataContent']);
    assert.deepEqual(
      got,
      Array.from({ length: 20 }, (_, i) => `m${i + 1}`),
    );
    sender.ws.close();
    back.ws.close();
  });
}

describe('IM cluster: three nodes in process (createCluster, one LocalBus)', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await createCluster(3, { hutong: { imVerifyLogin: testVerifyLogin } });
  });
  after(() => cluster.close());

  imClusterTests(
    (n) => `${cluster.urls[n]!.replace(/^http/, 'ws')}${IM_PATH}`,
    () => cluster.nodes.at(-1)!.close(),
    (n) => cluster.nodes[n]!.im,
  );
});

/** Counts inbox reads: a message signalled to another node with its frame needs none there. */
class CountingStore extends SqliteMessageStore {
  inboxReads = 0;
  override pending(...args: Parameters<SqliteMessageStore['pending']>) {
    this.inboxReads += 1;
    return super.pending(...args);
  }
}

describe('IM cluster: three nodes over Redis', { skip: redis.skip }, () => {
  const store = new CountingStore({ file: ':memory:' });
  const prefix = `hutong-test:${uniqueSuffix()}:`;
  let nodes: { im: Awaited<ReturnType<typeof startIm>>; broker: RedisBroker }[];
  before(async () => {
    nodes = await Promise.all(
      [1, 2, 3].map(async () => {
        const broker = new RedisBroker({ url: redis.url, prefix, nodeTtlMs: 1500 });
        await broker.start(() => {});
        return { im: await startIm({ store, broker }), broker };
      }),
    );
  });
  after(async () => {
    for (const { im, broker } of nodes) {
      await im.close();
      await broker.close();
    }
    await store.close();
  });

  test('a message for a device on another node travels with its signal: no inbox read there', async () => {
    const sender = (await online(nodes[0]!.im.url, 'fran')).client;
    const receiver = (await online(nodes[1]!.im.url, 'gus')).client;
    await until(() => nodes[0]!.broker.whereAre(['gus']).then((m) => m.has('gus')), 'gus seen from node 1');
    const reads = store.inboxReads;
    for (let i = 1; i <= 20; i += 1) sender.say('fran', 'gus', `m${i}`, `f${i}`);
    const got: string[] = [];
    for (let i = 1; i <= 20; i += 1) {
      const frame = await receiver.next(isData, `message ${i}`);
      got.push(frame['dataContent']);
      receiver.ack(frame);
    }
    assert.deepEqual(
      got,
      Array.from({ length: 20 }, (_, i) => `m${i + 1}`),
    );
    assert.equal(store.inboxReads, reads, 'delivered from the signals alone');
    sender.ws.close();
    receiver.ws.close();
  });

  imClusterTests(
    (n) => nodes[n]!.im.url,
    async () => {
      const dead = nodes.pop()!;
      await dead.im.close();
      await dead.broker.close();
    },
    (n) => nodes[n]!.im.hub,
  );
});
