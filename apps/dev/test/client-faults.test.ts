import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeMessage } from '@hutong/protocol';
import { freePort } from '../../../testing/ports.js';
import type { DevStack } from '../src/stack.js';
import { phone, tunnelIdOf, watch } from './client-fixture.js';
import { startTestStack, until } from './stack-fixture.js';

const fast = { reconnectDelayMs: 50, maxReconnectDelayMs: 200 };
const numbered = (messages: { type: string; content: unknown }[]) =>
  messages.filter((m) => m.type === 'n').map((m) => m.content as number);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('@hutong/client faults: recovery keeps the stream whole', () => {
  let stack: DevStack;
  before(async () => {
    stack = await startTestStack({ HUTONG_TUNNEL_HEARTBEAT: '1' });
  });
  after(() => stack.close());

  const push = (tunnelId: string, n: number) =>
    stack.hutong.tunnels.push([{ tunnelIds: [tunnelId], type: 'message', content: encodeMessage('n', n) }]);

  test('1,000 numbered pushes arrive complete and in order while the socket is killed three times', async () => {
    const { wx, client } = phone(stack);
    await client.login();
    const tunnel = new client.Tunnel(`${stack.url}/weapp/tunnel`, fast);
    const w = watch(tunnel);
    tunnel.open();
    await until(() => tunnel.isActive(), 'connected');
    const id = tunnelIdOf(tunnel);
    for (let n = 0; n < 1000; n += 1) {
      push(id, n);
      if (n === 200 || n === 500 || n === 800) wx.sim.terminateSockets();
      if (n % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await until(() => numbered(w.messages).length >= 1000, 'all 1,000 numbers', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(numbered(w.messages), range(0, 1000), 'nothing lost, nothing twice, in order');
    assert.ok(tunnel.stats.resumes >= 1, 'resumed from its offset');
    assert.ok(
      w.events.filter((e) => e.startsWith('reconnect ')).every((e) => e === 'reconnect {"resumed":true}'),
      JSON.stringify(w.events),
    );
    assert.equal(tunnelIdOf(tunnel), id, 'the same server-side tunnel throughout');
    tunnel.close();
  });

  test('network offline and back: no attempts while offline, then a resume with what was missed', async () => {
    const { wx, client } = phone(stack);
    await client.login();
    const tunnel = new client.Tunnel(`${stack.url}/weapp/tunnel`, fast);
    const w = watch(tunnel);
    tunnel.open();
    await until(() => tunnel.isActive(), 'connected');
    const id = tunnelIdOf(tunnel);
    push(id, 0);
    await until(() => numbered(w.messages).length === 1, 'first number');
    wx.sim.setOnline(false);
    await until(() => tunnel.isReconnecting(), 'noticed the drop');
    for (let n = 1; n <= 5; n += 1) push(id, n);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(tunnel.state, 'reconnecting');
    assert.deepEqual(w.events, ['connect', 'reconnecting'], 'no failed attempts counted while offline');
    wx.sim.setOnline(true);
    await until(() => tunnel.isActive(), 'back');
    await until(() => numbered(w.messages).length === 6, 'the missed numbers');
    assert.deepEqual(numbered(w.messages), range(0, 6));
    assert.deepEqual(w.events, ['connect', 'reconnecting', 'reconnect {"resumed":true}']);
    tunnel.close();
  });

  test('app hidden longer than the heartbeat: the server drops the socket, show resumes it', async () => {
    const { wx, client } = phone(stack);
    await client.login();
    const tunnel = new client.Tunnel(`${stack.url}/weapp/tunnel`, fast);
    const w = watch(tunnel);
    tunnel.open();
    await until(() => tunnel.isActive(), 'connected');
    const id = tunnelIdOf(tunnel);
    const timeouts = stack.hutong.tunnels.stats.heartbeatTimeouts;
    wx.sim.hide();
    // Heartbeat 1 s: the server drops a socket silent for 2 s; the suspended app sees nothing yet.
    await until(() => stack.hutong.tunnels.stats.heartbeatTimeouts > timeouts, 'dropped by the server', 5000);
    for (let n = 0; n < 10; n += 1) push(id, n);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(w.events, ['connect'], 'nothing happens in a suspended app');
    wx.sim.show();
    await until(() => numbered(w.messages).length === 10, 'what was pushed while hidden', 5000);
    assert.deepEqual(numbered(w.messages), range(0, 10));
    assert.deepEqual(w.events, ['connect', 'reconnecting', 'reconnect {"resumed":true}']);
    // The heartbeat runs again: the tunnel stays up past two server periods.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(tunnel.state, 'active');
    tunnel.close();
  });

  test('maxReconnectTries exhausted: error 2001 and closed', async () => {
    const { wx, client } = phone(stack);
    await client.login();
    const tunnel = new client.Tunnel(`${stack.url}/weapp/tunnel`, { ...fast, maxReconnectTries: 2 });
    const w = watch(tunnel);
    tunnel.open();
    await until(() => tunnel.isActive(), 'connected');
    // Every request and socket now fails (a dead network that reports itself online).
    const request = wx.request;
    wx.request = ((options: { fail?: (e: unknown) => void }) => {
      setTimeout(() => options.fail?.({ errMsg: 'request:fail' }), 1);
      return { abort() {} };
    }) as typeof wx.request;
    const connect = wx.connectSocket;
    wx.connectSocket = ((options: { url: string }) =>
      connect({ url: options.url.replace(/tunnelId=[^&]+/, 'tunnelId=gone') })) as typeof wx.connectSocket;
    wx.sim.terminateSockets();
    await until(() => tunnel.isClosed(), 'gave up', 5000);
    wx.request = request;
    wx.connectSocket = connect;
    assert.match(w.events.at(-1) ?? '', /^error \{"code":2001,"message":"重连失败"/);
    assert.ok(w.events.includes('close'));
  });
});

describe('@hutong/client faults: the server restarts', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hutong-restart-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a restarted server: the client reconnects to a new tunnel and keeps its session', async () => {
    const port = await freePort();
    const env = { PORT: String(port), HUTONG_STORE_URL: join(dir, 'hutong.db') };
    let stack = await startTestStack(env);
    const { client } = phone(stack);
    await client.login();
    const tunnel = new client.Tunnel(`${stack.url}/weapp/tunnel`, fast);
    const w = watch(tunnel);
    tunnel.open();
    await until(() => tunnel.isActive(), 'connected');
    const first = tunnelIdOf(tunnel);
    await stack.close();
    await until(() => tunnel.isReconnecting(), 'noticed the restart');
    stack = await startTestStack(env);
    try {
      await until(() => tunnel.isActive(), 'reconnected to the new server', 8000);
      assert.notEqual(tunnelIdOf(tunnel), first, 'a new tunnel: the old server’s is gone');
      assert.ok(w.events.includes('reconnect {"resumed":false}'), JSON.stringify(w.events));
      await until(() => stack.chat.total === 1, 'in the new server’s room');
      tunnel.emit('speak', { word: 'still here' });
      await until(() => w.messages.some((m) => m.type === 'speak'), 'heard after the restart');
      tunnel.close();
    } finally {
      await stack.close();
    }
  });
});
