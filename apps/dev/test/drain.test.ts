/**
 * A rolling restart's drain: two dev-stack nodes share PostgreSQL and Redis behind a TCP balancer.
 * While A sends a stream of IM messages and sits in the chat room, the balancer takes node A out
 * and A drains: readiness goes red, every client is told to reconnect elsewhere (close code 4503)
 * and reconnects at once, to B. Every accepted message arrives exactly once, in order.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DRAIN_CLOSE_CODE } from '@hutong/protocol/headers';
import { service } from '../../../testing/services.js';
import { startTcpProxy, type TcpProxy } from '../../../testing/tcp-proxy.js';
import type { DevStack } from '../src/stack.js';
import { phone, watch } from './client-fixture.js';
import { collect, imPhone, range } from './client-im-fixture.js';
import { startTestStack } from './stack-fixture.js';

const [redis, postgres] = await Promise.all([service('redis'), service('postgres')]);
const skip = redis.skip || postgres.skip;

describe('drain: a node leaves, its clients move to another at once, nothing accepted is lost', {
  skip,
}, () => {
  let balancer: TcpProxy;
  let a: DevStack;
  let b: DevStack;
  let dataDir: string;
  /** A node's own address (its public URL is the balancer's). */
  const direct = (stack: DevStack) =>
    `http://127.0.0.1:${(stack.hutong.app.server.address() as AddressInfo).port}`;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hutong-drain-'));
    balancer = await startTcpProxy('http://127.0.0.1:1');
    const publicUrl = `http://127.0.0.1:${balancer.port}`;
    const env = (node: string) => ({
      HUTONG_NODE_ID: `${node}-${process.pid}`,
      HUTONG_PUBLIC_URL: publicUrl,
      HUTONG_STORE: 'postgres',
      HUTONG_STORE_URL: postgres.url,
      HUTONG_IM_STORE: 'postgres',
      HUTONG_IM_STORE_URL: postgres.url,
      HUTONG_BROKER: 'redis',
      HUTONG_BROKER_URL: redis.url,
      HUTONG_DATA_DIR: join(dataDir, node),
      HUTONG_DRAIN_TIMEOUT_MS: '5000',
    });
    a = await startTestStack(env('a'));
    b = await startTestStack(env('b'));
    balancer.retarget(direct(a));
  });

  after(async () => {
    await a?.close().catch(() => {});
    await b?.close();
    await balancer?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('IM stream and chat room move from A to B during a drain', async () => {
    const via = { url: `http://127.0.0.1:${balancer.port}` } as DevStack;
    const alice = await imPhone(via);
    const bob = await imPhone(via);
    const got: number[] = [];
    bob.im.on('message', (m) => got.push(Number(m.content)));
    const logs = collect(alice.im, 'log');
    await Promise.all([alice.im.connect(), bob.im.connect()]);

    const chat = phone(via, '留下的人');
    await chat.client.login();
    const tunnel = new chat.client.Tunnel(`${via.url}/weapp/tunnel`);
    const seen = watch(tunnel);
    tunnel.open();
    while (!tunnel.isActive()) await new Promise((resolve) => setTimeout(resolve, 10));

    const sends: Promise<unknown>[] = [];
    for (const n of range(0, 100)) sends.push(alice.im.send(bob.id, String(n)));
    await new Promise((resolve) => setTimeout(resolve, 50));

    // The balancer takes A out; A drains while the stream is in flight.
    balancer.retarget(direct(b));
    const started = Date.now();
    const draining = a.hutong.drain();
    const ready = await a.hutong.app.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 503);
    assert.equal(ready.json().error.code, 'ERR_DRAINING');
    for (const n of range(100, 200)) sends.push(alice.im.send(bob.id, String(n)));
    await draining;
    const drainMs = Date.now() - started;

    const accepted = await Promise.all(sends);
    assert.equal(accepted.length, 200, 'every message accepted');
    const deadline = Date.now() + 15_000;
    while (got.length < 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(got, range(0, 200), 'every accepted message once, in order');
    assert.ok(
      logs.some((l) => l.message.includes(`closed ${DRAIN_CLOSE_CODE}`)),
      'the client was told why the link closed',
    );

    while (!tunnel.isActive() && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(tunnel.isActive(), 'the chat room tunnel is back, on B');
    assert.ok(
      seen.events.some((e) => e.startsWith('reconnect')),
      seen.events.join(),
    );
    process.stdout.write(
      `# drain: ${drainMs} ms; 200/200 IM messages accepted and delivered once in order; tunnel ${seen.events.join(' → ')}\n`,
    );
    alice.im.close();
    bob.im.close();
    tunnel.close();
  });
});
