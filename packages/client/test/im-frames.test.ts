/**
 * The client's IM wire against the golden vectors (packages/protocol/test/vectors/im-frames.json,
 * which the protocol's tests read too): `parseFrame` and `parseContent` of `im-wire` read each
 * frame as the vectors say and refuse each bad one, `clientFrames` writes the vectors' bytes, and
 * ImClients on a hand-driven socket send exactly those frames and turn the server's into the
 * events they stand for.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { until } from '@hutong/core/testing';
import { clientFrames, parseContent, parseFrame } from '../src/core/im-wire.js';
import { createClient, ImClient, type ImEvents, type ImOptions } from '../src/core/index.js';
import { handPlatform } from './hand-platform.js';

interface Vector {
  name: string;
  by?: 'client' | 'server';
  build?: [string, ...unknown[]];
  text: string;
  frame: Record<string, unknown> & { type: number };
  content?: Record<string, unknown>;
}
const vectors = JSON.parse(
  readFileSync(new URL('../../protocol/test/vectors/im-frames.json', import.meta.url), 'utf8'),
) as { frames: Vector[]; bad: { name: string; text: string; error: string }[] };

const vector = (name: string): Vector => {
  const found = vectors.frames.find((v) => v.name === name);
  assert.ok(found, `no vector "${name}"`);
  return found;
};

describe('im-wire (golden vectors)', () => {
  for (const v of vectors.frames) {
    test(`reads: ${v.name}`, () => {
      const frame = parseFrame(v.text);
      assert.deepEqual(frame, v.frame);
      assert.deepEqual(parseContent(frame!) ?? null, v.content ?? null);
    });
    if (v.by === 'client') {
      test(`writes: ${v.name}`, () => {
        const [name, ...args] = v.build!;
        const build = clientFrames[name as keyof typeof clientFrames] as (...a: unknown[]) => string;
        assert.equal(build(...args), v.text);
      });
    }
  }
  for (const v of vectors.bad) {
    test(`refuses: ${v.name}`, () => assert.equal(parseFrame(v.text), undefined));
  }
  test('refuses a binary frame', () =>
    assert.equal(parseFrame(new TextEncoder().encode('{"type":1}').buffer), undefined));
});

/** The hand-driven platform, with hand-fired timers and the vectors by name. */
function handIm() {
  const hand = handPlatform({ handTimers: true });
  return {
    ...hand,
    last: () => hand.sent.at(-1),
    receive: (name: string) => hand.receive(vector(name).text),
    receiveText: hand.receive,
  };
}

function imClient(options: Partial<ImOptions> = {}) {
  const hand = handIm();
  const im = new ImClient(createClient({ platform: hand.platform }), { url: 'ws://im.test/im', ...options });
  const events: [keyof ImEvents, unknown][] = [];
  for (const name of [
    'message',
    'accepted',
    'delivered',
    'read',
    'error',
    'kicked',
    'authFailed',
    'pong',
  ] as const)
    im.on(name, (payload) => void events.push([name, payload]));
  return { hand, im, events };
}

describe('ImClient speaks the vectors', () => {
  test('the sender: login, keep-alive, data and its acceptance, receipts, errors, logout', async () => {
    const { hand, im, events } = imClient();
    const online = im.connect({ userId: 'u1', token: 't', extra: null });
    await until(() => hand.sent.length === 1, 'the login frame');
    assert.equal(hand.last(), vector('login (@hutong/client, first login)').text);
    hand.receive('login ok');
    await online;
    assert.equal(im.state, 'online');

    hand.fire(15_000);
    assert.equal(hand.last(), vector('keep-alive (@hutong/client)').text);
    hand.receive('pong');

    const sending = im.send('u2', 'hello', { fp: 'fp-1', typeu: 1 });
    await until(() => hand.sent.includes(vector('data with QoS (@hutong/client)').text), 'the data frame');
    hand.receive("accepted: the sender's ACK with sid, seq, conv");
    assert.deepEqual(await sending, { fp: 'fp-1', sid: 41, seq: 7, conv: 'c:u1|u2' });

    hand.receive('delivery receipt, type 60');
    hand.receive("read receipt, type 61, to the conversation's other users");
    hand.receive('error 1429 naming the message in fp');
    hand.receive('error 4: a malformed frame');
    hand.receive('echo response, type 53');
    assert.equal(im.stats.badFrames, 0);
    hand.receive('an unknown type decodes (both ends then ignore it)');
    for (const bad of vectors.bad) hand.receiveText(bad.text);
    assert.equal(im.stats.badFrames, 1 + vectors.bad.length);
    assert.deepEqual(events, [
      ['pong', undefined],
      ['accepted', { fp: 'fp-1', sid: 41, seq: 7, conv: 'c:u1|u2', to: 'u2' }],
      ['delivered', { fp: 'fp-1', by: 'u2', device: 'default' }],
      ['read', { conv: 'c:u1|u2', seq: 7, by: 'u2' }],
      ['error', { code: 1429, message: 'at most 50 messages a second' }],
      ['error', { code: 4, message: 'Protocal: type must be an integer' }],
    ]);

    im.close();
    assert.equal(hand.last(), vector('logout (@hutong/client)').text);
  });

  test('the recipient: messages acknowledged, a read receipt, then a kick-out', async () => {
    const { hand, im, events } = imClient();
    const online = im.connect({ userId: 'u2', token: 't2', extra: null });
    await until(() => hand.sent.length === 1, 'the login frame');
    hand.receive('login ok');
    await online;

    hand.receive('data delivered to a recipient (sid, seq, conv)');
    assert.equal(
      hand.last(),
      vector('ACK of a received message: u2 acknowledges fp-1 to its sender (@hutong/client)').text,
    );
    hand.receive('group data delivered to a member (conv g:<id>, group)');
    assert.equal(hand.last(), clientFrames.ack('u2', 'u1', 'fp-2'));
    hand.receive('data stored without fp, delivered as sid:<sid>');
    im.markRead('c:u1|u2', 7);
    assert.equal(hand.last(), vector('read receipt, type 61 (@hutong/client)').text);
    hand.receive('kick-out with a reason');
    assert.equal(im.state, 'closed');

    assert.deepEqual(events, [
      [
        'message',
        {
          sid: 41,
          seq: 7,
          conv: 'c:u1|u2',
          from: 'u1',
          to: 'u2',
          content: 'hello',
          typeu: 1,
          fp: 'fp-1',
          sentAt: 1700000000123,
        },
      ],
      [
        'message',
        {
          sid: 42,
          seq: 3,
          conv: 'g:team',
          from: 'u1',
          to: 'u3',
          group: 'team',
          content: 'hi all',
          typeu: -1,
          fp: 'fp-2',
          sentAt: 1700000000456,
        },
      ],
      [
        'message',
        {
          sid: 43,
          seq: 8,
          conv: 'c:u1|u2',
          from: 'u1',
          to: 'u2',
          content: 'no fp',
          typeu: -1,
          fp: 'sid:43',
          sentAt: 1700000000789,
        },
      ],
      ['kicked', { code: 2, reason: 'by an administrator' }],
    ]);
  });

  test('error 301 gets the login again, with the device and the first login time', async () => {
    const { hand, im } = imClient({ deviceId: 'phone' });
    const online = im.connect({ userId: 'u1', token: 'k1' });
    await until(() => hand.sent.length === 1, 'the login frame');
    hand.receive('login ok');
    await online;
    hand.receive('error 301: not logged in (the refused frame as errorMsg)');
    assert.equal(hand.last(), vector('login naming a device, after a reconnect (@hutong/client)').text);
    hand.receive('login ok');
    assert.equal(im.state, 'online');
    im.close();
  });

  test('a refused login ends the client', async () => {
    const { hand, im, events } = imClient();
    const online = im.connect({ userId: 'u1', token: 't', extra: null });
    await until(() => hand.sent.length === 1, 'the login frame');
    hand.receive('login refused (1025: the token is not a live session)');
    await assert.rejects(online, { type: 'ERR_IM_AUTH_FAILED' });
    assert.equal(im.state, 'closed');
    assert.deepEqual(events, [['authFailed', { code: 1025, reason: 'login refused (1025)' }]]);
  });
});
