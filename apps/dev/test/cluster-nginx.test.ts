/**
 * The production shape, tested: three `hutong start` processes sharing PostgreSQL and Redis behind
 * nginx (round robin, no affinity), started by scripts/cluster.ts. A business server runs a chat
 * room through the Wafer tunnel API; users chat in it and exchange IM messages while one node is
 * drained (SIGTERM) and restarted and another is killed (SIGKILL) in the middle of a burst and
 * restarted. Every IM message
 * the server accepted arrives exactly once, in order; every chat line the business side
 * acknowledged was received by it; every client ends connected. The numbers are printed.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createClient, ImClient, type Tunnel } from '@hutong/client/core';
import { createNodePlatform } from '@hutong/client/node';
import { until } from '@hutong/core/testing';
import { HutongTunnels, handleTunnelCallback, RemoteTunnelBackend } from '@hutong/node-sdk';
import WebSocket from 'ws';
import {
  type Cluster,
  clusterApp,
  clusterSignatureKey,
  NGINX,
  startCluster,
} from '../../../scripts/cluster.js';
import { service } from '../../../testing/services.js';

const [redis, postgres] = await Promise.all([service('redis'), service('postgres')]);

function nginxMissing(): string | false {
  if (NGINX) return false;
  if (process.env['CI'] === 'true') throw new Error('nginx is required in CI (apt-get install nginx-light)');
  process.stderr.write(
    '\n!!! SKIPPING CLUSTER SUITE: nginx not installed (set CI=true to make this fail)\n\n',
  );
  return 'nginx not installed';
}
const skip = redis.skip || postgres.skip || nginxMissing();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The business server: a chat room on the Wafer tunnel API, events by signed webhook. */
async function chatBusiness(cluster: Cluster) {
  const tunnels = new HutongTunnels(
    new RemoteTunnelBackend({ tunnelServerUrl: `${cluster.url}/tunnel`, signatureKey: clusterSignatureKey }),
  );
  const members = new Set<string>();
  const heard: string[] = [];
  let base = '';
  const handler = {
    onConnect: (id: string) => void members.add(id),
    onClose: (id: string) => void members.delete(id),
    onMessage: async (_id: string, type: string, content: unknown) => {
      if (type !== 'speak') return;
      const word = String((content as { word?: unknown }).word);
      heard.push(word);
      await tunnels.broadcast([...members], 'speak', { word }).catch(() => {});
    },
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', async () => {
      const reply = (status: number, json: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      try {
        if (req.url === '/tunnel') {
          const grant = await tunnels.open({ receiveUrl: `${base}/callback` });
          reply(200, { code: 0, data: { connectUrl: grant.connectUrl } });
        } else if (req.url === '/callback') {
          const answer = handleTunnelCallback(JSON.parse(body), handler, { key: clusterSignatureKey });
          reply(answer.status, answer.body);
        } else reply(404, {});
      } catch (error) {
        reply(503, { code: 1, message: String(error) });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, heard, members, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** A phone: @hutong/client on Node, logging in through Hutong's own API via nginx. */
function user(cluster: Cluster) {
  return createClient({
    platform: createNodePlatform({
      login: { simulator: cluster.sim.url, appid: clusterApp.appid },
      WebSocket: WebSocket as never,
    }),
    loginUrl: `${cluster.url}/api/v1/login`,
    loginMethod: 'POST',
  });
}

describe('a 3-node cluster behind nginx: drain, restart, SIGKILL', { skip }, () => {
  let cluster: Cluster;
  let business: Awaited<ReturnType<typeof chatBusiness>>;

  before(async () => {
    cluster = await startCluster({ postgresUrl: postgres.url, redisUrl: redis.url });
    business = await chatBusiness(cluster);
  });
  after(async () => {
    await business?.close();
    await cluster?.close();
  });

  test('nothing accepted is lost; every client ends connected', async () => {
    const PAIRS = 5;
    const MESSAGES = 120;
    const imUrl = `${cluster.url.replace('http', 'ws')}/im`;
    const fast = { reconnectDelayMs: 100, maxReconnectDelayMs: 1000, deviceId: 'phone' };

    // IM: pairs of users; each sender streams numbered messages to its receiver.
    const pairs = await Promise.all(
      Array.from({ length: PAIRS }, async () => {
        const [a, b] = [user(cluster), user(cluster)];
        await Promise.all([a.login(), b.login()]);
        const sender = new ImClient(a, { url: imUrl, ...fast });
        const receiver = new ImClient(b, { url: imUrl, ...fast });
        const got: number[] = [];
        receiver.on('message', (m) => got.push(Number(m.content)));
        await Promise.all([sender.connect(), receiver.connect()]);
        return { sender, receiver, got, to: String(b.session.get()?.userInfo?.['openId']) };
      }),
    );

    // Chat room: four users, through the business server's Wafer tunnel API.
    const chatters = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const client = user(cluster);
        await client.login();
        const tunnel: Tunnel = new client.Tunnel(`${business.base}/tunnel`, {
          reconnectDelayMs: 100,
          maxReconnectTries: 20,
        });
        const lines: string[] = [];
        tunnel.on('speak', ({ word }: { word: string }) => lines.push(word));
        tunnel.open();
        return { tunnel, lines };
      }),
    );
    await until(() => chatters.every((c) => c.tunnel.isActive()), 'chat tunnels open', 30_000);

    const acked: string[] = [];
    let chatFailures = 0;
    // A burst (no pause between rounds) the orchestration asks for; `midBurst` resolves halfway.
    let burst = 0;
    let halfway = () => {};
    const midBurst = new Promise<void>((resolve) => {
      halfway = resolve;
    });
    const askBurst = () => {
      burst = 40;
    };
    const traffic = (async () => {
      const sends: Promise<unknown>[] = [];
      for (let n = 0; n < MESSAGES; n += 1) {
        for (const pair of pairs) sends.push(pair.sender.send(pair.to, String(n)));
        const chatter = chatters[n % chatters.length]!;
        if (n % 3 === 0) {
          const word = `line ${n}`;
          chatter.tunnel.emit('speak', { word }, { ack: true }).then(
            () => acked.push(word),
            () => {
              chatFailures += 1;
            },
          );
        }
        if (burst > 0) {
          burst -= 1;
          if (burst === 20) halfway();
          await sleep(0);
        } else await sleep(40);
      }
      halfway(); // the traffic ended before the burst's middle: do not wait for it
      return Promise.all(sends);
    })();

    // Meanwhile: drain node 1 and bring it back; kill node 2 in the middle of a burst (accepts
    // in flight in its group commit) and bring it back.
    await sleep(1200);
    const drained = await cluster.drain(0);
    await cluster.restart(0);
    await sleep(300);
    askBurst();
    await midBurst;
    await cluster.kill(1);
    await sleep(800);
    await cluster.restart(1);

    const accepted = await traffic;
    assert.equal(accepted.length, PAIRS * MESSAGES, 'every IM message accepted');
    await until(() => pairs.every((p) => p.got.length >= MESSAGES), 'every IM message delivered', 30_000);
    await sleep(500);
    for (const pair of pairs) {
      assert.deepEqual(
        pair.got,
        Array.from({ length: MESSAGES }, (_, n) => n),
        'once each, in order',
      );
    }
    await until(() => chatters.every((c) => c.tunnel.isActive()), 'chat tunnels back', 30_000);
    for (const word of acked) assert.ok(business.heard.includes(word), `the business side has "${word}"`);
    const received = chatters.reduce((sum, c) => sum + c.lines.length, 0);
    process.stdout.write(
      `# cluster: drain exit ${drained}; IM ${pairs.length * MESSAGES}/${pairs.length * MESSAGES} accepted and delivered once in order; ` +
        `chat ${acked.length} acknowledged (${chatFailures} refused while nodes changed), ${business.heard.length} heard by the business side, ` +
        `${received} deliveries to ${chatters.length} members; resumes ${chatters.map((c) => c.tunnel.stats.resumes).join('/')}\n`,
    );
    assert.equal(drained, 0, 'the drained node exited cleanly');
    for (const pair of pairs) {
      pair.sender.close();
      pair.receiver.close();
    }
    for (const c of chatters) c.tunnel.close();
  });
});
