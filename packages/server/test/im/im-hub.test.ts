import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { imTypes } from '@hutong/protocol/im';
import { imExtensionTypes } from '../../src/im/im-hub.js';
import { type Frame, online, rawClient, startIm } from './im-fixtures.js';

const isData = (f: Frame) => f.type === imTypes.data;
const content = (f: Frame) => JSON.parse(f['dataContent']) as Record<string, any>;

describe('IM endpoint: MobileIMSDK frames from a raw client', () => {
  let im: Awaited<ReturnType<typeof startIm>>;
  before(async () => {
    im = await startIm();
  });
  after(() => im.close());

  test('login, keep-alive, echo; anything else before login is error 301 and closed', async () => {
    const early = await rawClient(im.url);
    early.send({ type: imTypes.echo, dataContent: 'ping?' });
    assert.equal((await early.next((f) => f.type === imTypes.echoResponse))['dataContent'], 'ping?');
    early.send({ type: imTypes.keepAlive, dataContent: '{}' });
    const error = await early.next((f) => f.type === imTypes.error);
    assert.equal(content(error)['errorCode'], 301);
    assert.equal(await early.closed, 1000);

    const { client, response } = await online(im.url, 'alice');
    assert.equal(response.code, 0);
    assert.ok(response.firstLoginTime > 1_600_000_000_000);
    client.send({ type: imTypes.keepAlive, from: 'alice', dataContent: '{}' });
    const pong = await client.next((f) => f.type === imTypes.pong);
    assert.deepEqual([pong['from'], pong['to'], pong['dataContent']], ['0', 'alice', '{}']);
    client.ws.close();
  });

  test('a wrong token is refused with a code above 1024 and the connection closed', async () => {
    const { client, response } = await online(im.url, 'mallory', { token: 'token-alice' });
    assert.deepEqual(response, { code: 1025, firstLoginTime: -1 });
    assert.equal(await client.closed, 1000);
    const bad = await rawClient(im.url);
    bad.send({
      type: imTypes.login,
      dataContent: JSON.stringify({ loginUserId: 'x', extra: { not: 'a string' } }),
    });
    assert.equal(content(await bad.next((f) => f.type === imTypes.loginResponse))['code'], 4);
    await bad.closed;
  });

  test('one-to-one: stored before the sender’s ACK, delivered with sid/seq, the ACK becomes a receipt', async () => {
    const a = (await online(im.url, 'a1')).client;
    const b = (await online(im.url, 'b1')).client;
    a.say('a1', 'b1', 'hello', 'fp-1');
    const ack = await a.next((f) => f.type === imTypes.ack, 'sender ACK');
    assert.equal(ack['dataContent'], 'fp-1');
    assert.equal(ack['from'], 'b1');
    assert.equal(ack['seq'], 1);
    assert.equal((await im.store.history(ack['conv'], 0, 10))[0]?.content, 'hello', 'stored');
    const got = await b.next(isData, 'the message');
    assert.deepEqual(
      [got['from'], got['to'], got['fp'], got['QoS'], got['dataContent'], got['seq'], got['sid']],
      ['a1', 'b1', 'fp-1', true, 'hello', 1, ack['sid']],
    );
    b.ack(got);
    const receipt = await a.next((f) => f.type === imExtensionTypes.deliveryReceipt, 'delivery receipt');
    assert.deepEqual(content(receipt), { fp: 'fp-1', by: 'b1', device: 'default' });
    // A resend of the same fp is acknowledged again but not delivered twice.
    a.say('a1', 'b1', 'hello', 'fp-1');
    await a.next((f) => f.type === imTypes.ack && f['dataContent'] === 'fp-1', 'second ACK');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(b.frames.filter(isData).length, 1);
    a.ws.close();
    b.ws.close();
  });

  test('offline messages arrive in order on the next login, once acknowledged never again', async () => {
    const a = (await online(im.url, 'a2')).client;
    for (let i = 0; i < 5; i += 1) a.say('a2', 'c2', `m${i}`, `o${i}`);
    for (let i = 0; i < 5; i += 1)
      await a.next((f) => f.type === imTypes.ack && f['dataContent'] === `o${i}`);
    const c = (await online(im.url, 'c2')).client;
    const received: Frame[] = [];
    for (let i = 0; i < 5; i += 1) received.push(await c.next(isData, `backlog ${i}`));
    assert.deepEqual(
      received.map((f) => f['dataContent']),
      ['m0', 'm1', 'm2', 'm3', 'm4'],
    );
    for (const f of received) c.ack(f);
    await new Promise((resolve) => setTimeout(resolve, 100));
    c.ws.close();
    await c.closed;
    const again = (await online(im.url, 'c2')).client;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(again.frames.filter(isData).length, 0, 'acknowledged messages are not sent again');
    again.ws.close();
    a.ws.close();
  });

  test('unacknowledged messages are resent (bounded) and come again on the next login', async () => {
    const a = (await online(im.url, 'a3')).client;
    const b = (await online(im.url, 'b3')).client;
    a.say('a3', 'b3', 'are you there', 'r1');
    await b.next(isData);
    await b.next(isData, 'a resend', 2000);
    b.ws.close();
    await b.closed;
    const back = (await online(im.url, 'b3')).client;
    const again = await back.next(isData, 'the message again after login');
    assert.equal(again['fp'], 'r1');
    back.ws.close();
    a.ws.close();
  });

  test('devices: each named device gets the message; a second login of one device kicks the first', async () => {
    const a = (await online(im.url, 'a4')).client;
    const phone = (await online(im.url, 'b4', { extra: JSON.stringify({ deviceId: 'phone' }) })).client;
    const pc = (await online(im.url, 'b4', { extra: JSON.stringify({ deviceId: 'pc' }) })).client;
    a.say('a4', 'b4', 'to every device', 'd1');
    assert.equal((await phone.next(isData))['dataContent'], 'to every device');
    assert.equal((await pc.next(isData))['dataContent'], 'to every device');
    const phone2 = (await online(im.url, 'b4', { extra: JSON.stringify({ deviceId: 'phone' }) })).client;
    const kick = await phone.next((f) => f.type === imTypes.kickout, 'kick-out');
    assert.equal(content(kick)['code'], 1);
    await phone.closed;
    assert.deepEqual(im.hub.devices('b4').sort(), ['pc', 'phone']);
    for (const c of [a, pc, phone2]) c.ws.close();
  });

  test('kick arbitration by firstLoginTime: a stale device reconnecting is the one kicked', async () => {
    const first = await online(im.url, 'k1');
    const newer = await online(im.url, 'k1');
    await first.client.next((f) => f.type === imTypes.kickout);
    const stale = await online(im.url, 'k1', { firstLoginTime: first.response.firstLoginTime });
    assert.ok(first.response.firstLoginTime < newer.response.firstLoginTime);
    await stale.client.next((f) => f.type === imTypes.kickout, 'the stale device is kicked');
    await stale.client.closed;
    newer.client.send({ type: imTypes.keepAlive, from: 'k1', dataContent: '{}' });
    await newer.client.next((f) => f.type === imTypes.pong, 'the newer device stays');
    newer.client.ws.close();
  });

  test('read receipts: kept, told to the other side and the reader’s other devices; only for your conversations', async () => {
    const a = (await online(im.url, 'ra')).client;
    const b = (await online(im.url, 'rb', { extra: '{"deviceId":"phone"}' })).client;
    const b2 = (await online(im.url, 'rb', { extra: '{"deviceId":"pc"}' })).client;
    a.say('ra', 'rb', 'read me', 'rr1');
    const ack = await a.next((f) => f.type === imTypes.ack);
    b.send({
      type: imExtensionTypes.read,
      from: 'rb',
      dataContent: JSON.stringify({ conv: ack['conv'], seq: ack['seq'] }),
    });
    const told = content(await a.next((f) => f.type === imExtensionTypes.read, 'read receipt'));
    assert.deepEqual(told, { conv: ack['conv'], seq: 1, by: 'rb' });
    assert.deepEqual(content(await b2.next((f) => f.type === imExtensionTypes.read)), told);
    assert.deepEqual(await im.store.reads(ack['conv']), { rb: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(
      b.frames.some((f) => f.type === imExtensionTypes.read),
      false,
      'not back to the reading device',
    );
    const eve = (await online(im.url, 're')).client;
    eve.send({
      type: imExtensionTypes.read,
      from: 're',
      dataContent: JSON.stringify({ conv: ack['conv'], seq: 1 }),
    });
    assert.equal(content(await eve.next((f) => f.type === imTypes.error))['errorCode'], 1403);
    eve.send({ type: imExtensionTypes.read, from: 're', dataContent: '{"conv":1}' });
    assert.equal(content(await eve.next((f) => f.type === imTypes.error))['errorCode'], 4);
    for (const c of [a, b, b2, eve]) c.ws.close();
  });

  test('user ids that would read as a conversation, a group or the server are refused', async () => {
    for (const id of ['a|b', 'g:team', '0', '-1']) {
      const { client, response } = await online(im.url, id);
      assert.equal(response.code, 4, id);
      await client.closed;
    }
  });

  test('groups: members get it with the group named; outsiders are refused', async () => {
    await im.store.setMembers('team', ['g1', 'g2', 'g3']);
    const [g1, g2, g3, outsider] = await Promise.all(
      ['g1', 'g2', 'g3', 'g9'].map(async (u) => (await online(im.url, u)).client),
    );
    g1!.say('g1', 'g:team', 'standup', 'gs1');
    for (const member of [g2!, g3!]) {
      const f = await member.next(isData);
      assert.deepEqual(
        [f['from'], f['group'], f['conv'], f['dataContent']],
        ['g1', 'team', 'g:team', 'standup'],
      );
    }
    outsider!.say('g9', 'g:team', 'let me in', 'gs2');
    const refused = await outsider!.next((f) => f.type === imTypes.error);
    assert.equal(content(refused)['errorCode'], 1403);
    assert.equal(refused['fp'], 'gs2', 'the error names the message');
    for (const c of [g1!, g2!, g3!, outsider!]) c.ws.close();
  });
});

describe('IM endpoint: bad input', () => {
  let im: Awaited<ReturnType<typeof startIm>>;
  before(async () => {
    im = await startIm({ maxMessagesPerSecond: 5 });
  });
  after(() => im.close());

  test('spoofed from, foreign ACKs, malformed frames: refused, nothing delivered, the link stays', async () => {
    const eve = (await online(im.url, 'eve')).client;
    const bob = (await online(im.url, 'bob')).client;
    eve.say('alice', 'bob', 'I am alice', 's1');
    assert.equal(content(await eve.next((f) => f.type === imTypes.error))['errorCode'], 4);
    eve.send({ type: imTypes.ack, from: 'eve', to: 'alice', dataContent: 'someone-elses-fp' });
    eve.ws.send('not json');
    assert.equal(content(await eve.next((f) => f.type === imTypes.error))['errorCode'], 4);
    eve.ws.send(JSON.stringify({ type: 2, QoS: 'yes' }));
    await eve.next((f) => f.type === imTypes.error);
    eve.send({ type: 77, from: 'eve' });
    eve.send({ type: imTypes.keepAlive, from: 'eve', dataContent: '{}' });
    await eve.next((f) => f.type === imTypes.pong, 'still up');
    assert.equal(bob.frames.filter(isData).length, 0);
    assert.ok(im.hub.stats.foreignAcks >= 1);
    eve.ws.close();
    bob.ws.close();
  });

  test('floods are limited per connection; binary and oversized frames close only that link', async () => {
    const flood = (await online(im.url, 'flood')).client;
    // 5 a second with bursts of 10: a burst of 14 gets at most 10 (plus what refilled meanwhile) through.
    for (let i = 0; i < 14; i += 1) flood.say('flood', 'sink', `x${i}`, `f${i}`);
    assert.equal(content(await flood.next((f) => f.type === imTypes.error))['errorCode'], 1429);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const acks = flood.frames.filter((f) => f.type === imTypes.ack).length;
    const refused = flood.frames.filter(
      (f) => f.type === imTypes.error && content(f)['errorCode'] === 1429,
    ).length;
    assert.ok(acks >= 10 && acks <= 11, `${acks} accepted`);
    assert.equal(acks + refused, 14, 'each frame accepted or refused');
    const binary = (await online(im.url, 'bin')).client;
    binary.ws.send(Buffer.from([1, 2, 3]));
    assert.equal(await binary.closed, 1003);
    const big = (await online(im.url, 'big')).client;
    big.say('big', 'sink', 'x'.repeat(70 * 1024), 'b1');
    assert.equal(await big.closed, 1009);
    flood.send({ type: imTypes.keepAlive, from: 'flood', dataContent: '{}' });
    await flood.next((f) => f.type === imTypes.pong, 'others unaffected');
    flood.ws.close();
  });

  test('an idle connection is closed after the idle time', async () => {
    const quick = await startIm({ idleSeconds: 1 });
    try {
      const { client } = await online(quick.url, 'sleepy');
      const started = Date.now();
      await client.closed;
      assert.ok(Date.now() - started >= 900);
    } finally {
      await quick.close();
    }
  });
});
