/**
 * Three tunnel nodes in one process: a push accepted by any node reaches tunnels on every node,
 * rooms span nodes, invalid ids are right cluster-wide; over the in-process broker (createCluster)
 * and on the real local Redis, where also a dead node's tunnels read as invalid after its TTL and
 * a Redis outage costs only cross-node delivery.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { service, uniqueSuffix } from '../../../testing/services.js';
import { startTcpProxy, type TcpProxy } from '../../../testing/tcp-proxy.js';
import { LocalBroker, LocalBus } from '../src/brokers/local-broker.js';
import { RedisBroker } from '../src/brokers/redis-broker.js';
import { type Cluster, createCluster } from '../src/testing/index.js';
import {
  connect,
  KEY,
  receiverServer,
  recorder,
  startTunnels,
  type TunnelFixture,
  tunnelFixtureOf,
  until,
} from './tunnel-fixtures.js';

const redis = await service('redis');

const openOn = async (f: TunnelFixture) => {
  const { tunnelId, connectUrl } = f.hub.allocate(recorder().receiver);
  const c = await connect(connectUrl);
  await c.waitFor((x) => x.startsWith('timeout:'));
  return { ...c, tunnelId };
};
const registered = (f: TunnelFixture, ids: string[]) =>
  until(async () => (await f.router.broker.locate(ids)).size === ids.length, 'tunnels registered', 1000);

/** What every cluster does, whatever carries its traffic: `fixtures()` are its three nodes. */
function clusterTests(fixtures: () => TunnelFixture[]) {
  test('any node takes a tunnel socket the balancer sends it; the tunnel works there; nobody takes it twice', async () => {
    const [n0, n1, n2] = fixtures() as [TunnelFixture, TunnelFixture, TunnelFixture];
    const business = await receiverServer();
    try {
      const reply = await n0.api('/get/wsurl', { receiveUrl: business.url }, { tcKey: KEY });
      const { tunnelId, connectUrl } = JSON.parse(reply.body.data) as {
        tunnelId: string;
        connectUrl: string;
      };
      await new Promise((resolve) => setTimeout(resolve, 50)); // the offer reaches Redis
      // The balancer sends the socket to node 1, which never saw the tunnel.
      const elsewhere = connectUrl.replace(new URL(n0.url).host, new URL(n1.url).host);
      const c = await connect(elsewhere);
      await c.waitFor((x) => x.startsWith('timeout:'));
      assert.ok(n1.hub.holds(tunnelId) && !n0.hub.holds(tunnelId));
      c.ws.send(`message:${JSON.stringify({ type: 'hi', content: 1 })}`);
      await until(() => business.received.length === 2, 'two callbacks', 2000);
      assert.deepEqual(
        business.received.map((r) => [r.data.type, r.data.tunnelId, r.signed]),
        [
          ['connect', tunnelId, true],
          ['message', tunnelId, true],
        ],
      );
      // A push through the node that allocated it reaches the socket on node 1.
      await registered(n0, [tunnelId]);
      const content = JSON.stringify({ type: 'back', content: 2 });
      const pushed = await n0.api('/ws/push', [{ tunnelIds: [tunnelId], type: 'message', content }]);
      assert.deepEqual(pushed.body.data.invalidTunnelIds, []);
      await c.waitFor((frame) => frame === `message:${content}`);
      // A second socket for the same id, on any node, is refused.
      for (const n of [n0, n2]) {
        const url = connectUrl.replace(new URL(n0.url).host, new URL(n.url).host);
        const status = await new Promise<number>((resolve) => {
          const ws = new WebSocket(url);
          ws.on('error', () => {});
          ws.on('unexpected-response', (_request, response) => {
            resolve(response.statusCode ?? 0);
            ws.terminate();
          });
          ws.on('open', () => {
            resolve(101);
            ws.close();
          });
        });
        assert.equal(status, 404, url);
      }
      c.ws.close();
    } finally {
      await business.close();
    }
  });

  test('a push through any node reaches tunnels on every node; unknown ids are invalid', async () => {
    const [n0, n1, n2] = fixtures() as [TunnelFixture, TunnelFixture, TunnelFixture];
    const [a, b, c] = [await openOn(n0), await openOn(n1), await openOn(n2)];
    await registered(n0, [a.tunnelId, b.tunnelId, c.tunnelId]);
    const content = JSON.stringify({ type: 'hello', content: 'cluster' });
    const reply = await n1.api('/ws/push', [
      { tunnelIds: [a.tunnelId, b.tunnelId, c.tunnelId, 'ghost'], type: 'message', content },
    ]);
    assert.deepEqual(reply.body.data.invalidTunnelIds, ['ghost']);
    for (const x of [a, b, c]) await x.waitFor((frame) => frame === `message:${content}`);

    // Rooms span nodes: a join through any node reaches the tunnels where they are open (ids open
    // nowhere are invalid), and a broadcast through any node reaches every member.
    const joined = await n0.api('/rooms', {
      op: 'join',
      room: 'r',
      tunnelIds: [a.tunnelId, c.tunnelId, 'ghost'],
    });
    assert.deepEqual(joined.body.data, { invalidTunnelIds: ['ghost'] });
    const roomMessage = JSON.stringify({ type: 'room', content: 1 });
    await n1.api('/ws/push', [
      { tunnelIds: [b.tunnelId], rooms: ['r'], type: 'message', content: roomMessage },
    ]);
    for (const x of [a, b, c]) await x.waitFor((frame) => frame === `message:${roomMessage}`);
    // A leave through a node that holds neither: the next broadcast misses a. a and b also join
    // room m, whose broadcast, published after it by the same node, marks that it went by.
    const left = await n1.api('/rooms', { op: 'leave', room: 'r', tunnelIds: [a.tunnelId, 'ghost'] });
    assert.deepEqual(left.body.data, { invalidTunnelIds: [] });
    await n1.api('/rooms', { op: 'join', room: 'm', tunnelIds: [a.tunnelId, b.tunnelId] });
    const second = JSON.stringify({ type: 'room', content: 2 });
    await n2.api('/ws/push', [{ tunnelIds: [], rooms: ['r'], type: 'message', content: second }]);
    await n2.api('/ws/push', [{ tunnelIds: [], rooms: ['m'], type: 'message', content: 'marker' }]);
    await c.waitFor((frame) => frame === `message:${second}`);
    for (const x of [a, b]) await x.waitFor((frame) => frame === 'message:marker');
    assert.equal(a.frames.includes(`message:${second}`), false, 'a left the room');
    assert.equal(b.frames.includes(`message:${second}`), false, 'b never joined');
    // Presence through any node counts the members on every node.
    for (const n of [n0, n1, n2]) {
      const counted = await n.api('/rooms', { op: 'presence', rooms: ['r', 'm', 'none'] });
      assert.deepEqual(counted.body.data, { presence: { r: 1, m: 2, none: 0 } });
    }
    // A bad room name is refused by the node that takes the call, whoever holds the tunnels.
    const badName = await n1.api('/rooms', { op: 'join', room: 'x'.repeat(129), tunnelIds: [a.tunnelId] });
    assert.equal(badName.status, 400);

    // A close pushed through another node closes the socket where it lives.
    await n2.api('/ws/push', [{ tunnelIds: [a.tunnelId], type: 'close' }]);
    await a.closed;
    b.ws.close();
    c.ws.close();
  });
}

describe('tunnel cluster in process (createCluster, one LocalBus)', () => {
  const bus = new LocalBus();
  let cluster: Cluster;
  before(async () => {
    cluster = await createCluster(3, {
      env: { HUTONG_TUNNEL_SIGNATURE_KEY: KEY },
      broker: (nodeId) => new LocalBroker(bus, nodeId),
    });
  });
  after(() => cluster.close());
  const fixtures = () => cluster.nodes.map((node, i) => tunnelFixtureOf(node, cluster.urls[i]!));

  clusterTests(fixtures);

  test('presence adds only the rooms asked, with whole counts, from the nodes asked', async () => {
    const [n0] = fixtures() as [TunnelFixture];
    const odd = new LocalBroker(bus, 'odd'); // answers with a room not asked and a count not whole
    await odd.start((packets) => {
      for (const p of packets) {
        if (!('op' in p) || p.op !== 'count') continue;
        const presence = { asked: 3, toString: 5, half: 0.5 };
        void odd.send(p.from, [{ op: 'counts', id: p.id, from: 'odd', presence }]);
        void odd.send(p.from, [{ op: 'counts', id: p.id, from: 'odd', presence }]); // once only
      }
    });
    try {
      const counted = await n0.api('/rooms', { op: 'presence', rooms: ['asked', 'half'] });
      assert.deepEqual(counted.body.data, { presence: { asked: 3, half: 0 } });
    } finally {
      await odd.close();
    }
  });

  test('presence leaves out a node that does not answer, after the wait', async () => {
    const [n0, n1] = fixtures() as [TunnelFixture, TunnelFixture];
    const [a, b] = [await openOn(n0), await openOn(n1)];
    await registered(n0, [a.tunnelId, b.tunnelId]);
    await n0.api('/rooms', { op: 'join', room: 'quiet', tunnelIds: [a.tunnelId, b.tunnelId] });
    const mute = new LocalBroker(bus, 'mute'); // on the bus, hears the question, never answers
    await mute.start(() => {});
    try {
      const started = performance.now();
      const counted = await n0.api('/rooms', { op: 'presence', rooms: ['quiet'] });
      assert.deepEqual(counted.body.data, { presence: { quiet: 2 } });
      assert.ok(performance.now() - started >= 900, 'it waited for the mute node');
    } finally {
      await mute.close();
    }
    a.ws.close();
    b.ws.close();
  });
});

describe('tunnel cluster of Hutong nodes over Redis (createCluster, a RedisBroker each)', {
  skip: redis.skip,
}, () => {
  const prefix = `hutong-test:${uniqueSuffix()}:`;
  let cluster: Cluster;
  before(async () => {
    cluster = await createCluster(3, {
      env: { HUTONG_TUNNEL_SIGNATURE_KEY: KEY },
      broker: (nodeId) => new RedisBroker({ url: redis.url, prefix, nodeTtlMs: 900, nodeId }),
    });
  });
  after(() => cluster.close());

  clusterTests(() => cluster.nodes.map((node, i) => tunnelFixtureOf(node, cluster.urls[i]!)));
});

describe('tunnel cluster over Redis', { skip: redis.skip }, () => {
  const prefix = `hutong-test:${uniqueSuffix()}:`;
  const nodes: { f: TunnelFixture; proxy: TcpProxy }[] = [];
  before(async () => {
    for (let i = 0; i < 3; i += 1) {
      const proxy = await startTcpProxy(redis.url);
      const broker = new RedisBroker({
        url: proxy.url(redis.url),
        prefix,
        nodeTtlMs: 900,
        nodeId: `node${i}`,
      });
      nodes.push({ f: await startTunnels({}, {}, broker), proxy });
    }
  });
  after(async () => {
    for (const { f, proxy } of nodes) {
      await f.close();
      await proxy.close();
    }
  });

  clusterTests(() => nodes.map((n) => n.f));

  test('Redis away from one node: its local pushes still deliver, cross-node ones resume after', async () => {
    const [n0, n1] = [nodes[0]!, nodes[1]!];
    const a = await openOn(n0.f);
    const b = await openOn(n1.f);
    await registered(n0.f, [a.tunnelId, b.tunnelId]);
    n0.proxy.down();
    const during = JSON.stringify({ type: 'during', content: 0 });
    const reply = await n0.f.api('/ws/push', [
      { tunnelIds: [a.tunnelId, b.tunnelId], type: 'message', content: during },
    ]);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body.data.invalidTunnelIds, [], 'unreachable is not invalid');
    await a.waitFor((frame) => frame === `message:${during}`);
    assert.ok(n0.f.router.stats.brokerErrors > 0);
    n0.proxy.up();
    const after = JSON.stringify({ type: 'after', content: 1 });
    for (let i = 0; i < 100 && !b.frames.includes(`message:${after}`); i += 1) {
      await n0.f.api('/ws/push', [{ tunnelIds: [b.tunnelId], type: 'message', content: after }]);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(b.frames.includes(`message:${after}`), 'cross-node delivery resumed');
    a.ws.close();
    b.ws.close();
  });

  test('a dead node leaves no ghost tunnels: after its TTL its ids are invalid', async () => {
    const [n1, n2] = [nodes[1]!, nodes[2]!];
    const c = await openOn(n2.f);
    await registered(n1.f, [c.tunnelId]);
    n2.proxy.down(); // node 2 can no longer heartbeat: as good as dead to the others
    let invalid: string[] = [];
    for (let i = 0; i < 60 && invalid.length === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      invalid = (await n1.f.api('/ws/push', [{ tunnelIds: [c.tunnelId], type: 'message', content: '{}' }]))
        .body.data.invalidTunnelIds;
    }
    assert.deepEqual(invalid, [c.tunnelId]);
    n2.proxy.up();
    c.ws.close();
  });
});
