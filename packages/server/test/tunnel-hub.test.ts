import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HandlerReceiver } from '@hutong/core';
import WebSocket from 'ws';
import { startTcpProxy } from '../../../testing/tcp-proxy.js';
import { tunnelCloseCodes } from '../src/tunnel/tunnel-hub.js';
import { connect, recorder, startTunnels, type TunnelFixture, until } from './tunnel-fixtures.js';

describe('tunnel hub: the frame protocol', () => {
  let f: TunnelFixture;
  before(async () => {
    f = await startTunnels({ heartbeatSeconds: 7, maxPayload: 1024 });
  });
  after(() => f.close());

  test('connect sends timeout:N, ping gets pong, messages reach the handler in order, close both ways', async () => {
    const rec = recorder(5);
    const { tunnelId, connectUrl } = f.hub.allocate(rec.receiver);
    assert.match(tunnelId, /^[0-9a-f]{32}$/);
    const c = await connect(connectUrl);
    assert.equal(await c.waitFor((x) => x.startsWith('timeout:')), 'timeout:7');
    c.ws.send('ping');
    await c.waitFor((x) => x === 'pong');
    for (let i = 0; i < 5; i += 1) c.ws.send(`message:${JSON.stringify({ type: 'n', content: i })}`);
    c.ws.send('message:not json at all');
    c.ws.send('close');
    assert.equal((await c.closed).code, tunnelCloseCodes.normal);
    await until(() => rec.events.length === 8, 'eight events', 2000);
    assert.deepEqual(rec.events, [
      `connect ${tunnelId}`,
      ...[0, 1, 2, 3, 4].map((i) => `message ${tunnelId} n ${i}`),
      `message ${tunnelId} UnknownRaw "not json at all"`,
      `close ${tunnelId}`,
    ]);
  });

  test('unknown, reused and expired tunnel ids are refused at the upgrade with 404', async () => {
    const statusOf = (url: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
        ws.on('error', () => {});
      });
    const base = f.url.replace(/^http/, 'ws');
    assert.equal(await statusOf(`${base}/tunnel/ws?tunnelId=${'0'.repeat(32)}`), 404);
    assert.equal(await statusOf(`${base}/tunnel/ws`), 404);
    assert.equal(await statusOf(`${base}/nowhere`), 404);
    const { connectUrl } = f.hub.allocate(recorder().receiver);
    const first = await connect(connectUrl);
    assert.equal(await statusOf(connectUrl), 404, 'a tunnel takes one socket');
    first.ws.close();

    const short = await startTunnels({ pendingTtlMs: 50, heartbeatSeconds: 1 });
    try {
      const { connectUrl: stale } = short.hub.allocate(recorder().receiver);
      await new Promise((resolve) => setTimeout(resolve, 80));
      assert.equal(await statusOf(stale), 404);
    } finally {
      await short.close();
    }
  });

  test('binary and oversized frames close only their socket; unknown packets are ignored', async () => {
    const open = async () => {
      const c = await connect(f.hub.allocate(recorder().receiver).connectUrl);
      await c.waitFor((x) => x.startsWith('timeout:'));
      return c;
    };
    const [binary, big, odd, bystander] = await Promise.all([open(), open(), open(), open()]);
    binary.ws.send(Buffer.from([1, 2, 3]));
    assert.equal((await binary.closed).code, tunnelCloseCodes.unsupportedData);
    big.ws.send(`message:${'x'.repeat(2048)}`);
    assert.equal((await big.closed).code, tunnelCloseCodes.tooBig);
    odd.ws.send('hello:world');
    odd.ws.send('');
    odd.ws.send('ping');
    await odd.waitFor((x) => x === 'pong');
    bystander.ws.send('ping');
    await bystander.waitFor((x) => x === 'pong');
    assert.ok(f.hub.stats.badFrames >= 3);
    odd.ws.close();
    bystander.ws.close();
  });

  test('push: one frame per message, invalid ids reported, close packets close', async () => {
    const a = await connect(f.hub.allocate(recorder().receiver).connectUrl);
    const allocated = f.hub.allocate(recorder().receiver);
    const b = await connect(allocated.connectUrl);
    const idA = new URL(a.ws.url).searchParams.get('tunnelId')!;
    const never = f.hub.allocate(recorder().receiver).tunnelId;
    const content = JSON.stringify({ type: 'speak', content: { word: '你好' } });
    const result = f.hub.push([
      { tunnelIds: [idA, allocated.tunnelId, idA, never, 'nope'], type: 'message', content },
    ]);
    assert.deepEqual(result.invalidTunnelIds.sort(), [never, 'nope'].sort());
    await a.waitFor((x) => x === `message:${content}`);
    await b.waitFor((x) => x === `message:${content}`);
    assert.equal(a.frames.filter((x) => x.startsWith('message:')).length, 1, 'duplicate ids get one frame');
    assert.deepEqual(f.hub.push([{ tunnelIds: [idA], type: 'close' }]).invalidTunnelIds, []);
    await a.waitFor((x) => x === 'close');
    assert.equal((await a.closed).code, tunnelCloseCodes.normal);
    await until(
      () => f.hub.push([{ tunnelIds: [idA], type: 'message', content: '{}' }]).invalidTunnelIds.length === 1,
      'the closed tunnel invalid',
      2000,
    );
    b.ws.close();
  });

  test('pre-framed pushes of every length class arrive intact and in order with other frames', async () => {
    const { tunnelId, connectUrl } = f.hub.allocate(recorder().receiver);
    const c = await connect(connectUrl);
    // 7-bit, 16-bit and 64-bit payload lengths, their edges, and multi-byte UTF-8.
    const sizes = [0, 101, 102, 65_511, 65_512, 70_000]; // frames of 125, 126, 65535, 65536 bytes
    const contents = sizes.map((n, i) => JSON.stringify({ i, pad: 'x'.repeat(n) }));
    contents.push(JSON.stringify({ word: '你好，世界' }));
    for (const content of contents) {
      f.hub.push([{ tunnelIds: [tunnelId], type: 'message', content }]);
      c.ws.send('ping');
    }
    await c.waitFor((x) => x === `message:${contents.at(-1)}`);
    await until(() => c.frames.filter((x) => x === 'pong').length === contents.length, 'every pong', 2000);
    const messages = c.frames.filter((x) => x.startsWith('message:'));
    assert.deepEqual(
      messages,
      contents.map((content) => `message:${content}`),
    );
    c.ws.close();
  });
});

describe('tunnel hub: acknowledged emits (Hutong extension)', () => {
  let f: TunnelFixture;
  before(async () => {
    f = await startTunnels({ heartbeatSeconds: 7 });
  });
  after(() => f.close());

  test('emit:<id>:<message> reaches the handler as a message and is answered ack:<id> after it', async () => {
    const rec = recorder(30);
    const { tunnelId, connectUrl } = f.hub.allocate(rec.receiver);
    const c = await connect(connectUrl);
    c.ws.send(`emit:41:${JSON.stringify({ type: 'speak', content: { word: 'hi' } })}`);
    await c.waitFor((x) => x === 'ack:41');
    assert.ok(rec.events.includes(`message ${tunnelId} speak {"word":"hi"}`), 'handled before the ack');
    c.ws.close();
  });

  test('a handler that throws gets nack:<id>:ERR_TUNNEL_DELIVERY; malformed ids are ignored', async () => {
    const { connectUrl } = f.hub.allocate(
      new HandlerReceiver({
        onMessage: (_id, type) => {
          if (type === 'bad') throw new Error('business refused');
        },
      }),
    );
    const c = await connect(connectUrl);
    const bad = f.hub.stats.badFrames;
    c.ws.send(`emit:7:${JSON.stringify({ type: 'bad' })}`);
    await c.waitFor((x) => x === 'nack:7:ERR_TUNNEL_DELIVERY');
    for (const frame of ['emit:x1:{}', 'emit::{}', 'emit:1234567890123456789:{}', 'emit:5']) c.ws.send(frame);
    c.ws.send(`emit:8:${JSON.stringify({ type: 'good' })}`);
    await c.waitFor((x) => x === 'ack:8');
    assert.equal(f.hub.stats.badFrames - bad, 4);
    assert.ok(!c.frames.some((x) => x.startsWith('ack:') && x !== 'ack:8'));
    c.ws.close();
  });
});

describe('tunnel hub: limits', () => {
  test('tunnels per owner: the sixth pending tunnel of a user is refused until one is gone', async () => {
    const f = await startTunnels({ pendingTtlMs: 200, heartbeatSeconds: 1 });
    try {
      const grants = Array.from({ length: 5 }, () => f.hub.allocate(recorder().receiver, 'user-1'));
      assert.throws(() => f.hub.allocate(recorder().receiver, 'user-1'), { code: 'ERR_TUNNEL_LIMIT' });
      f.hub.allocate(recorder().receiver, 'user-2');
      f.hub.allocate(recorder().receiver);
      const c = await connect(grants[0]!.connectUrl);
      c.ws.send('close');
      await c.closed;
      await until(
        () => {
          try {
            f.hub.allocate(recorder().receiver, 'user-1');
            return true;
          } catch {
            return false;
          }
        },
        'a free slot for user-1',
        2000,
      );
    } finally {
      await f.close();
    }
  });
});

describe('tunnel hub: dead and slow sockets', () => {
  test('a socket silent for two heartbeat periods is dropped and its close reported', async () => {
    const f = await startTunnels({ heartbeatSeconds: 1 });
    const proxy = await startTcpProxy(f.url);
    try {
      const rec = recorder();
      const { tunnelId, connectUrl } = f.hub.allocate(rec.receiver);
      const c = await connect(proxy.url(connectUrl.replace(/^ws/, 'http')).replace(/^http/, 'ws'));
      await c.waitFor((x) => x.startsWith('timeout:'));
      proxy.stall(); // the phone went into the background: no frames, no pongs
      await until(() => rec.events.includes(`close ${tunnelId}`), 'the heartbeat timeout close', 4000);
      assert.equal(f.hub.stats.heartbeatTimeouts, 1);
    } finally {
      await proxy.close();
      await f.close();
    }
  });

  test('a consumer that stops reading is disconnected instead of buffering without bound', async () => {
    const f = await startTunnels({ maxBufferedBytes: 64 * 1024, heartbeatSeconds: 30 });
    const proxy = await startTcpProxy(f.url);
    try {
      const rec = recorder();
      const { tunnelId, connectUrl } = f.hub.allocate(rec.receiver);
      const c = await connect(proxy.url(connectUrl.replace(/^ws/, 'http')).replace(/^http/, 'ws'));
      await c.waitFor((x) => x.startsWith('timeout:'));
      proxy.stall();
      const chunk = JSON.stringify({ type: 'blob', content: 'x'.repeat(16 * 1024) });
      let invalid = 0;
      for (let i = 0; i < 2000 && invalid === 0; i += 1) {
        invalid = f.hub.push([{ tunnelIds: [tunnelId], type: 'message', content: chunk }]).invalidTunnelIds
          .length;
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(invalid, 1, 'the slow socket was dropped');
      assert.equal(f.hub.stats.slowConsumers, 1);
    } finally {
      await proxy.close();
      await f.close();
    }
  });
});
