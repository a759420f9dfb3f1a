import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createCommonData, IMSDK, ImClient, type ImProtocal, outboxKey } from '@hutong/client/core';
import type { DevStack } from '../src/stack.js';
import { collect, dropAcks, fast, imPhones, imUrl, range, sleep } from './client-im-fixture.js';
import { startTestStack, until } from './stack-fixture.js';

describe('@hutong/client IM on the dev stack', () => {
  let stack: DevStack;
  const { phone, track, closeAll } = imPhones(() => stack);
  before(async () => {
    stack = await startTestStack();
  });
  after(async () => {
    closeAll();
    await stack.close();
  });

  test('two users chat: send resolves with sid/seq, the other gets the message, delivery and read receipts arrive', async () => {
    const a = await phone({ deviceId: 'phone-a' });
    const b = await phone({ deviceId: 'phone-b' });
    const states = collect(a.im, 'state');
    await Promise.all([a.im.connect(), b.im.connect()]);
    assert.deepEqual(
      states.map((s) => s.to),
      ['connecting', 'online'],
    );
    const received = collect(b.im, 'message');
    const delivered = collect(a.im, 'delivered');
    const reads = collect(a.im, 'read');

    const sent = await a.im.send(b.id, '你好', { typeu: 7 });
    const conv = a.id < b.id ? `c:${a.id}|${b.id}` : `c:${b.id}|${a.id}`;
    assert.equal(sent.seq, 1);
    assert.equal(sent.conv, conv);
    assert.ok(sent.sid > 0);
    await until(() => received.length === 1, 'the message');
    const [message] = received;
    assert.deepEqual(
      { ...message, sentAt: typeof message?.sentAt },
      {
        sid: sent.sid,
        seq: 1,
        conv,
        from: a.id,
        to: b.id,
        content: '你好',
        typeu: 7,
        fp: sent.fp,
        sentAt: 'number',
      },
    );
    await until(() => delivered.length === 1, 'the delivery receipt');
    assert.deepEqual(delivered[0], { fp: sent.fp, by: b.id, device: 'phone-b' });

    b.im.markRead(conv, 1);
    await until(() => reads.length === 1, 'the read receipt');
    assert.deepEqual(reads[0], { conv, seq: 1, by: b.id });

    const reply = await b.im.send(a.id, 'hi');
    assert.equal(reply.seq, 2);
    const history = await a.im.history({ with: b.id });
    assert.deepEqual(
      history.messages.map((m) => [m.seq, m.from, m.content]),
      [
        [1, a.id, '你好'],
        [2, b.id, 'hi'],
      ],
    );
    assert.equal(history.reads[b.id], 1);
    assert.ok(history.messages.every((m) => m.conv === conv && m.sid > 0));
  });

  test('an offline receiver gets its backlog on connect, in order', async () => {
    const a = await phone();
    const b = await phone();
    await a.im.connect();
    const sent = await Promise.all(range(0, 20).map((n) => a.im.send(b.id, `m${n}`)));
    assert.deepEqual(
      sent.map((s) => s.seq),
      range(1, 21),
    );
    const received = collect(b.im, 'message');
    await b.im.connect();
    await until(() => received.length === 20, 'the backlog');
    assert.deepEqual(
      received.map((m) => m.content),
      range(0, 20).map((n) => `m${n}`),
    );
    await sleep(100);
    assert.equal(received.length, 20);
  });

  test('sending while the socket is down queues; after reconnect each message arrives exactly once', async () => {
    const a = await phone();
    const b = await phone();
    await Promise.all([a.im.connect(), b.im.connect()]);
    const received = collect(b.im, 'message');
    const online = collect(a.im, 'online');

    a.wx.sim.setOnline(false);
    await until(() => a.im.state === 'reconnecting', 'noticed the drop');
    const queued = range(0, 5).map((n) => a.im.send(b.id, `q${n}`));
    await sleep(200);
    assert.equal(a.im.queued, 5, 'waiting, not sent');
    assert.equal(received.length, 0);
    a.wx.sim.setOnline(true);
    const sent = await Promise.all(queued);
    assert.deepEqual(online, [{ reconnected: true, firstLoginTime: a.im.loginInfo?.firstLoginTime }]);

    // Killed with messages in flight: those the server took are recognised by fp when resent.
    const burst = range(5, 35).map((n) => a.im.send(b.id, `q${n}`));
    a.wx.sim.terminateSockets();
    sent.push(...(await Promise.all(burst)));
    await until(() => received.length >= 35, 'all 35');
    await sleep(200);
    assert.deepEqual(
      received.map((m) => m.content),
      range(0, 35).map((n) => `q${n}`),
    );
    assert.deepEqual(
      sent.map((s) => s.seq),
      range(1, 36),
    );
    assert.equal(a.im.queued, 0);
  });

  test('app restart: a new client on the same storage re-sends its stored outbox; the receiver gets each message once', async () => {
    const b = await phone();
    await b.im.connect();
    const received = collect(b.im, 'message');

    const a1 = await phone({ deviceId: 'phone-a' });
    dropAcks(a1.wx); // the server takes a1's messages, a1 never hears it
    await a1.im.connect();
    for (const n of range(0, 3)) void a1.im.send(b.id, `r${n}`).catch(() => {});
    await until(() => received.length === 3, 'delivered although unacknowledged');
    a1.wx.sim.setOnline(false); // the app dies
    void a1.im.send(b.id, 'r3').catch(() => {}); // queued offline, never transmitted
    const stored = a1.wx.getStorageSync(outboxKey(a1.id)) as { fp: string; content: string }[];
    assert.deepEqual(
      stored.map((m) => m.content),
      ['r0', 'r1', 'r2', 'r3'],
    );

    const a2 = await phone({ deviceId: 'phone-a', storage: a1.wx.sim.storage, login: false });
    assert.equal(a2.id, a1.id, 'the same user, from the stored session');
    const accepted = collect(a2.im, 'accepted');
    await a2.im.connect();
    await until(() => accepted.length === 4, 'the stored outbox accepted');
    assert.deepEqual(
      accepted.map((s) => s.fp),
      stored.map((m) => m.fp),
    );
    await until(() => received.length === 4, 'the one never sent');
    await sleep(200);
    assert.deepEqual(
      received.map((m) => m.content),
      ['r0', 'r1', 'r2', 'r3'],
    );
    assert.equal(a2.im.queued, 0);
    assert.equal(a2.wx.getStorageSync(outboxKey(a2.id)), '', 'the stored outbox is empty');
    a1.im.close();
  });

  test('a second login of the same device kicks the first; other devices stay', async () => {
    const a = await phone({ deviceId: 'tablet' });
    await a.im.connect();
    const kicked = collect(a.im, 'kicked');
    const other = await phone({ deviceId: 'phone' });
    await other.im.connect(); // another user entirely: unaffected
    const same = new ImClient(a.client, { url: imUrl(stack), deviceId: 'tablet', ...fast });
    const second = new ImClient(a.client, { url: imUrl(stack), deviceId: 'watch', ...fast });
    track(same, second);
    await Promise.all([same.connect(), second.connect()]);
    await until(() => kicked.length === 1, 'the kick-out');
    assert.equal(kicked[0]?.code, 1);
    assert.equal(a.im.state, 'closed');
    await assert.rejects(a.im.send('x', 'y'), (e: { type?: string }) => e.type === 'ERR_IM_CLOSED');
    await sleep(300);
    assert.equal(a.im.state, 'closed', 'no reconnect after a kick');
    assert.equal(same.state, 'online');
    assert.equal(second.state, 'online');
    assert.equal(other.im.state, 'online');
  });

  test('IMSDK facade: loginImpl, callbacks, sendData, callback_onMessagesBeReceived', async () => {
    const a = await phone();
    const b = await phone();
    await b.im.connect();
    const sdk = new IMSDK(a.client, fast);
    const log: string[] = [];
    const data: ImProtocal[] = [];
    const beReceived: string[] = [];
    sdk.callback_onIMAfterLoginSucess = () => log.push('login');
    sdk.callback_onIMReconnectSucess = () => log.push('reconnect');
    sdk.callback_onIMDisconnected = () => log.push('disconnected');
    sdk.callback_onIMData = (p) => data.push(p);
    sdk.callback_onMessagesBeReceived = (fp) => beReceived.push(fp);
    const lines: string[] = [];
    sdk.callback_onIMLog = (line) => lines.push(line);
    sdk.setDebugCoreEnable(true);
    sdk.setDebugSDKEnable(true);

    assert.equal(sdk.sendData(createCommonData('early', a.id, b.id)), 1, 'not logged in');
    assert.equal(sdk.isLogined(), false);
    const skey = a.client.session.get()?.skey ?? '';
    assert.equal(
      sdk.loginImpl({ loginUserId: a.id, loginToken: skey, extra: '{"deviceId":"sdk"}' }, imUrl(stack)),
      0,
    );
    await until(() => log.includes('login'), 'callback_onIMAfterLoginSucess');
    assert.ok(sdk.isLogined());
    assert.ok(sdk.isOnline());
    const info = sdk.getLoginInfo();
    assert.equal(info?.loginUserId, a.id);
    assert.equal(info?.extra, '{"deviceId":"sdk"}');
    assert.ok((info?.firstLoginTime ?? 0) > 0);

    const received = collect(b.im, 'message');
    const p = sdk.createCommonData('hello', a.id, b.id, 5);
    const outcome: string[] = [];
    const code = sdk.sendData(
      p,
      (sent) => outcome.push(`ok ${sent.seq}`),
      () => outcome.push('fail'),
      () => outcome.push('complete'),
    );
    assert.equal(code, 0);
    await until(() => beReceived.includes(p.fp), 'callback_onMessagesBeReceived');
    await until(() => outcome.length === 2, 'fnSuccess and fnComplete');
    assert.deepEqual(outcome, ['ok 1', 'complete']);
    await until(() => received.length === 1, 'b got it');
    assert.equal(received[0]?.content, 'hello');
    assert.equal(received[0]?.typeu, 5);
    assert.equal(received[0]?.fp, p.fp);
    assert.equal(sdk.sendData({ to: b.id } as ImProtocal), 4, 'no dataContent');
    assert.equal(sdk.sendData(createCommonData('x', 'someone-else', b.id)), 4, 'from another user');

    await b.im.send(a.id, 'back');
    await until(() => data.length === 1, 'callback_onIMData');
    assert.equal(data[0]?.type, 2);
    assert.equal(data[0]?.dataContent, 'back');
    assert.equal(data[0]?.from, b.id);
    assert.equal(data[0]?.seq, 2);

    a.wx.sim.terminateSockets();
    await until(() => log.includes('reconnect'), 'callback_onIMReconnectSucess');
    assert.deepEqual(log, ['login', 'disconnected', 'reconnect']);
    assert.ok(
      lines.some((line) => line.includes('online')),
      'core log lines',
    );

    sdk.disconnectSocket();
    assert.equal(sdk.isLogined(), false);
    assert.equal(sdk.isOnline(), false);
    assert.equal(sdk.sendData(createCommonData('late', a.id, b.id)), 1);
  });
});
