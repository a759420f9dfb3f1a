/**
 * What one IM connection may cost the server: frames before login, bytes queued for a client that
 * does not read, devices per user, read receipts, and connections of sessions that ended.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { until } from '@hutong/core/testing';
import { imTypes } from '@hutong/protocol/im';
import type WebSocket from 'ws';
import { imCloseCodes, imExtensionTypes, imHutongCodes, type LoginVerdict } from '../../src/im/im-hub.js';
import { createCluster } from '../../src/testing/index.js';
import { type Frame, online, rawClient, startIm, testVerifyLogin } from './im-fixtures.js';

const content = (f: Frame) => JSON.parse(f['dataContent']) as Record<string, any>;
const isError = (code: number) => (f: Frame) => f.type === imTypes.error && content(f)['errorCode'] === code;
/** The client's TCP socket: paused, the client reads nothing and the server's writes pile up. */
const tcp = (ws: WebSocket) => (ws as unknown as { _socket: Socket })._socket;

describe('IM limits: frames before login', () => {
  test('echoes flooded before login by a client that does not read: a few are answered, then closed 4029', async () => {
    const im = await startIm({ maxBufferedBytes: 256 * 1024 });
    try {
      const flood = await rawClient(im.url);
      tcp(flood.ws).pause();
      const payload = 'e'.repeat(16 * 1024);
      for (let i = 0; i < 300; i += 1) flood.send({ type: imTypes.echo, dataContent: payload });
      await until(() => im.hub.stats.unloggedFloods === 1, 'the flood noticed', 10_000);
      assert.ok(
        im.hub.peakBufferedBytes <= 256 * 1024,
        `at most the budget queued (${im.hub.peakBufferedBytes} bytes)`,
      );
      tcp(flood.ws).resume();
      assert.equal(await flood.closed, imCloseCodes.unloggedFlood);
      const echoes = flood.frames.filter((f) => f.type === imTypes.echoResponse).length;
      // At most 10 at once and 5 a second after (answers still queued at the close are not sent).
      assert.ok(echoes <= 25, `${echoes} of 300 answered`);
      // A client that logs in at once is not affected.
      const { response } = await online(im.url, 'polite');
      assert.equal(response.code, 0);
    } finally {
      await im.close();
    }
  });
});

describe('IM limits: a logged-in recipient that does not read', () => {
  test('is closed 4008 once its buffer would pass maxBufferedBytes; the sender keeps working', async () => {
    const limit = 256 * 1024;
    const im = await startIm({ maxBufferedBytes: limit, maxMessagesPerSecond: 100_000 });
    try {
      const sender = (await online(im.url, 'fast')).client;
      const slow = (await online(im.url, 'slow')).client;
      tcp(slow.ws).pause();
      const text = 's'.repeat(60 * 1024);
      let sent = 0;
      while (im.hub.stats.slowConsumers === 0 && sent < 2000) {
        for (let i = 0; i < 10; i += 1) sender.say('fast', 'slow', text, `m${sent++}`);
        const last = `m${sent - 1}`;
        await sender.next((f) => f.type === imTypes.ack && f['dataContent'] === last, 'ACK', 10_000);
      }
      assert.equal(im.hub.stats.slowConsumers, 1, `closed after ${sent} messages`);
      assert.ok(im.hub.peakBufferedBytes <= limit, `never more queued (${im.hub.peakBufferedBytes} bytes)`);
      assert.deepEqual(im.hub.devices('slow'), [], 'no longer a device');
      // The sender goes on: messages are accepted (kept for the slow user's next login).
      sender.say('fast', 'slow', 'after', 'after-1');
      await sender.next((f) => f.type === imTypes.ack && f['dataContent'] === 'after-1', 'ACK after');
      sender.send({ type: imTypes.keepAlive, from: 'fast', dataContent: '{}' });
      await sender.next((f) => f.type === imTypes.pong, 'pong');
      tcp(slow.ws).resume();
      assert.equal(await slow.closed, imCloseCodes.slowConsumer);
      sender.ws.close();
    } finally {
      await im.close();
    }
  });
});

describe('IM limits: per-connection caps', () => {
  test('HUTONG_IM_MAX_DEVICES sets the cap of a node built from configuration', async () => {
    const cluster = await createCluster(1, {
      env: { HUTONG_IM_MAX_DEVICES: '1' },
      hutong: { imVerifyLogin: testVerifyLogin },
    });
    try {
      const url = `${cluster.urls[0]!.replace(/^http/, 'ws')}/im`;
      const first = await online(url, 'cfg', { extra: '{"deviceId":"phone"}' });
      assert.equal(first.response.code, 0);
      const second = await online(url, 'cfg', { extra: '{"deviceId":"pc"}' });
      assert.deepEqual(second.response, { code: imHutongCodes.tooManyDevices, firstLoginTime: -1 });
      first.client.ws.close();
    } finally {
      await cluster.close();
    }
  });

  test('devices per user: one more than maxDevicesPerUser is refused 1028; the same device replaces', async () => {
    const im = await startIm({ maxDevicesPerUser: 2 });
    try {
      const phone = (await online(im.url, 'many', { extra: '{"deviceId":"phone"}' })).client;
      const pc = (await online(im.url, 'many', { extra: '{"deviceId":"pc"}' })).client;
      const third = await online(im.url, 'many', { extra: '{"deviceId":"tablet"}' });
      assert.deepEqual(third.response, { code: imHutongCodes.tooManyDevices, firstLoginTime: -1 });
      assert.equal(await third.client.closed, 1000);
      const again = await online(im.url, 'many', { extra: '{"deviceId":"phone"}' });
      assert.equal(again.response.code, 0, 'a device already counted logs in again');
      await phone.next((f) => f.type === imTypes.kickout, 'the old phone link kicked');
      assert.deepEqual(im.hub.devices('many').sort(), ['pc', 'phone']);
      for (const c of [pc, again.client]) c.ws.close();
    } finally {
      await im.close();
    }
  });

  test('read receipts: limited per connection (1430); a seq is never kept beyond the last message', async () => {
    const im = await startIm({ maxReadsPerSecond: 2 });
    try {
      const a = (await online(im.url, 'ra')).client;
      const b = (await online(im.url, 'rb')).client;
      a.say('ra', 'rb', 'one', 'r1');
      const ack = await a.next((f) => f.type === imTypes.ack);
      const read = (seq: number) =>
        b.send({
          type: imExtensionTypes.read,
          from: 'rb',
          dataContent: JSON.stringify({ conv: ack['conv'], seq }),
        });
      read(Number.MAX_SAFE_INTEGER);
      const told = content(await a.next((f) => f.type === imExtensionTypes.read, 'read receipt'));
      assert.deepEqual(told, { conv: ack['conv'], seq: 1, by: 'rb' }, 'capped at the last message');
      assert.deepEqual(await im.store.reads(ack['conv']), { rb: 1 });
      // 2 a second, bursts of 4: a burst of 10 more gets refusals.
      for (let i = 0; i < 10; i += 1) read(1);
      await b.next(isError(imHutongCodes.readsRateLimited), 'refused for the rate');
      b.send({ type: imTypes.keepAlive, from: 'rb', dataContent: '{}' });
      await b.next((f) => f.type === imTypes.pong, 'the link stays');
      const refused = b.frames.filter(isError(imHutongCodes.readsRateLimited)).length;
      assert.ok(refused >= 6 && refused <= 7, `${refused} of 10 refused`);
      const empty = (await online(im.url, 'rc')).client;
      empty.send({ type: imExtensionTypes.read, from: 'rc', dataContent: '{"conv":"c:rc|rd","seq":5}' });
      assert.equal(
        content(await empty.next((f) => f.type === imTypes.error))['errorCode'],
        4,
        'nothing to read',
      );
      for (const c of [a, b, empty]) c.ws.close();
    } finally {
      await im.close();
    }
  });

  test('`to` with `|` is refused as a bad frame, nothing stored', async () => {
    const im = await startIm();
    try {
      const a = (await online(im.url, 'pa')).client;
      a.say('pa', 'pb|pa', 'which conversation?', 'p1');
      const error = await a.next((f) => f.type === imTypes.error);
      assert.equal(content(error)['errorCode'], 4);
      assert.equal(error['fp'], 'p1');
      assert.deepEqual(await im.store.history('c:pa|pb|pa', 0, 10), []);
      assert.equal(im.hub.stats.accepted, 0);
      a.ws.close();
    } finally {
      await im.close();
    }
  });
});

describe('IM limits: connections of sessions that ended', () => {
  /** Tokens `<userId>:<n>` are sessions while in `live`, expiring at `expiresAt`. */
  function sessions() {
    const live = new Set<string>();
    let expiresAt = Date.now() + 3_600_000;
    const checks: string[] = [];
    return {
      live,
      checks,
      expireAt: (at: number) => {
        expiresAt = at;
      },
      verifyLogin: async ({ userId, token }: { userId: string; token: string }): Promise<LoginVerdict> => {
        checks.push(token);
        return live.has(token) && token.startsWith(`${userId}:`)
          ? { ok: true, expiresAt }
          : { ok: false, code: imHutongCodes.tokenInvalid };
      },
    };
  }

  test('endSession: the connection of that token is closed 4401, others stay; without a token all of the user', async () => {
    const s = sessions();
    const im = await startIm({ verifyLogin: s.verifyLogin });
    try {
      for (const token of ['lo:1', 'lo:2', 'other:1']) s.live.add(token);
      const phone = (await online(im.url, 'lo', { token: 'lo:1', extra: '{"deviceId":"phone"}' })).client;
      const pc = (await online(im.url, 'lo', { token: 'lo:2', extra: '{"deviceId":"pc"}' })).client;
      const other = (await online(im.url, 'other', { token: 'other:1' })).client;
      s.live.delete('lo:1');
      im.hub.endSession('lo', 'lo:1');
      assert.equal(await phone.closed, imCloseCodes.loggedOut);
      assert.deepEqual(im.hub.devices('lo'), ['pc']);
      pc.send({ type: imTypes.keepAlive, from: 'lo', dataContent: '{}' });
      await pc.next((f) => f.type === imTypes.pong, 'the other session stays');
      im.hub.endSession('lo');
      assert.equal(await pc.closed, imCloseCodes.loggedOut);
      other.send({ type: imTypes.keepAlive, from: 'other', dataContent: '{}' });
      await other.next((f) => f.type === imTypes.pong, 'another user stays');
      assert.equal(im.hub.stats.sessionsEnded, 2);
      other.ws.close();
    } finally {
      await im.close();
    }
  });

  test('session expiry: checked again when it expires; still live it stays, gone it is closed 4440', async () => {
    const s = sessions();
    const im = await startIm({ verifyLogin: s.verifyLogin, idleSeconds: 60 });
    try {
      s.live.add('ex:1');
      s.expireAt(Date.now() + 300);
      const { client } = await online(im.url, 'ex', { token: 'ex:1' });
      s.expireAt(Date.now() + 600); // renewed meanwhile (the session was used)
      await until(() => s.checks.length === 2, 'checked at its expiry', 5000);
      client.send({ type: imTypes.keepAlive, from: 'ex', dataContent: '{}' });
      await client.next((f) => f.type === imTypes.pong, 'still up');
      s.live.delete('ex:1'); // now gone: the next check ends it
      assert.equal(await client.closed, imCloseCodes.sessionExpired);
      assert.deepEqual(im.hub.devices('ex'), []);
    } finally {
      await im.close();
    }
  });
});
