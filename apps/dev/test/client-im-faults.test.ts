import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SimWx } from '@hutong/wechat-sim';
import type { DevStack } from '../src/stack.js';
import { collect, imPhones, range, sleep } from './client-im-fixture.js';
import { startTestStack, until } from './stack-fixture.js';

/** Counts the sockets a phone opens. */
function countSockets(wx: SimWx): () => number {
  let n = 0;
  const connect = wx.connectSocket.bind(wx);
  wx.connectSocket = ((options: Parameters<SimWx['connectSocket']>[0]) => {
    n += 1;
    return connect(options);
  }) as SimWx['connectSocket'];
  return () => n;
}

describe('@hutong/client IM faults (server idle timeout 3 s)', () => {
  let stack: DevStack;
  const { phone, closeAll } = imPhones(() => stack);
  before(async () => {
    stack = await startTestStack({ HUTONG_IM_IDLE: '3' });
  });
  after(async () => {
    closeAll();
    await stack.close();
  });

  test('app hidden past the idle timeout: the server drops it, nothing runs while hidden, show reconnects and the backlog follows', async () => {
    const a = await phone({ keepAliveMs: 1000 });
    const b = await phone({ keepAliveMs: 1000 });
    await Promise.all([a.im.connect(), b.im.connect()]);
    const sockets = countSockets(b.wx);
    const states = collect(b.im, 'state');
    const received = collect(b.im, 'message');
    b.wx.sim.hide();
    await sleep(4500); // > 3 s of silence: the server closes B's link
    await Promise.all(range(0, 5).map((n) => a.im.send(b.id, `h${n}`)));
    await sleep(200);
    // A suspended app runs nothing; the simulator may still report the socket's end, but no
    // attempt is made until the app is shown.
    assert.ok(
      states.every((s) => s.to === 'reconnecting'),
      JSON.stringify(states),
    );
    assert.equal(sockets(), 0, 'no attempts while hidden');
    b.wx.sim.show();
    await until(() => received.length === 5, 'what came while hidden', 5000);
    assert.deepEqual(
      received.map((m) => m.content),
      range(0, 5).map((n) => `h${n}`),
    );
    assert.deepEqual(
      states.map((s) => s.to),
      ['reconnecting', 'online'],
    );
    // Keep-alives run again: the link outlives two idle periods.
    await sleep(3500);
    assert.equal(b.im.state, 'online');
  });

  test('network off: no attempts while offline; back online, it reconnects at once and gets what it missed', async () => {
    const a = await phone({ keepAliveMs: 1000 });
    const b = await phone({ keepAliveMs: 1000, reconnectDelayMs: 5000, maxReconnectDelayMs: 5000 });
    await Promise.all([a.im.connect(), b.im.connect()]);
    const sockets = countSockets(b.wx);
    const received = collect(b.im, 'message');
    b.wx.sim.setOnline(false);
    await until(() => b.im.state === 'reconnecting', 'noticed');
    await a.im.send(b.id, 'while offline');
    await sleep(500);
    assert.equal(sockets(), 0, 'no attempts while offline');
    const back = Date.now();
    b.wx.sim.setOnline(true);
    await until(() => received.length === 1, 'the missed message');
    assert.ok(Date.now() - back < 2000, 'at once, not after the 5 s backoff');
    assert.equal(sockets(), 1);
  });

  test('logged out over HTTP (DELETE /api/v1/session): the IM client ends with authFailed 4401, no login with the old skey', async () => {
    const a = await phone();
    const sockets = countSockets(a.wx);
    const failures = collect(a.im, 'authFailed');
    await a.im.connect();
    const skey = a.client.session.get()!.skey;
    const response = await fetch(`${stack.url}/api/v1/session`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${skey}` },
    });
    assert.equal(response.status, 204);
    await until(() => failures.length === 1, 'authFailed');
    assert.equal(failures[0]?.code, 4401);
    assert.equal(a.im.state, 'closed');
    assert.equal(sockets(), 1, 'no reconnect');
    assert.equal(a.im.loginInfo?.loginToken, skey);
  });

  test('a stale session (1025): the client logs in again once and connects', async () => {
    const a = await phone();
    const session = a.client.session.get()!;
    a.client.session.set({ ...session, skey: 'stale-skey' });
    await a.im.connect();
    assert.notEqual(a.client.session.get()?.skey, 'stale-skey', 'a fresh session');
    assert.equal(a.im.loginInfo?.loginToken, a.client.session.get()?.skey);
  });
});
