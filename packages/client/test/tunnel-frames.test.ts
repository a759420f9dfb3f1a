/**
 * The client's Tunnel reads frames as the golden vectors say (packages/protocol/test/vectors/
 * tunnel-frames.json, which the protocol's own tests read too): each message vector becomes the
 * event it names or a counted bad frame, unknown packets are counted and ignored, acks settle the
 * emits they name. The Tunnel runs on a platform whose socket the test drives by hand.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createClient, type Platform } from '../src/core/index.js';
import { handPlatform } from './hand-platform.js';

interface Vector {
  text: string;
  frame: { type: string; content?: string } | null;
  message?: { type: string; content?: unknown } | null;
  ack?: { id: number; errorCode?: string } | null;
}
const { frames } = JSON.parse(
  readFileSync(new URL('../../protocol/test/vectors/tunnel-frames.json', import.meta.url), 'utf8'),
) as { frames: Vector[] };

const tunnelRequest: Platform['request'] = async () => ({
  statusCode: 200,
  data: { connectUrl: 'ws://tunnel.test/tunnel/ws?tunnelId=t' },
  header: {},
});

test('the Tunnel reads every golden vector as the protocol says', async () => {
  const { platform, receive } = handPlatform({ request: tunnelRequest });
  const client = createClient({ platform });
  const tunnel = new client.Tunnel('http://business.test/tunnel', { recover: false });
  const events: [string, unknown][] = [];
  tunnel.on('*', (type, payload) => {
    if (type !== 'state') events.push([type, payload]);
  });
  tunnel.open();
  await new Promise<void>((resolve) => tunnel.on('connect', () => resolve()));
  // Emits 1…8 waiting for their acks, so the vectors' ids 7 and 8 are pending.
  const acks = Array.from({ length: 8 }, (_, i) =>
    tunnel.emit('n', i + 1, { ack: true }).then(
      () => 'acked',
      (error: { type?: string; detail?: unknown }) => `${error.type}:${String(error.detail)}`,
    ),
  );
  const pending = new Set([1, 2, 3, 4, 5, 6, 7, 8]);

  for (const vector of frames) {
    const before = { events: events.length, bad: tunnel.stats.badFrames };
    if (vector.frame?.type === 'close') continue; // ends the tunnel: checked last
    receive(vector.text);
    const bad = tunnel.stats.badFrames - before.bad;
    if (vector.frame === null) assert.equal(bad, 1, `${vector.text}: an unknown packet is a bad frame`);
    else if ('message' in vector) {
      if (vector.message === null) assert.equal(bad, 1, `${vector.text}: unreadable message`);
      else {
        assert.deepEqual(events.slice(before.events), [[vector.message.type, vector.message.content]]);
      }
    } else if ('ack' in vector) {
      const known = vector.ack !== null && pending.delete(vector.ack.id);
      assert.equal(bad, known ? 0 : 1, `${vector.text}: an ack for an unknown id is a bad frame`);
    } else if (vector.frame.type === 'emit' || vector.frame.type === 'ping') {
      assert.equal(bad, 1, `${vector.text}: a packet only clients send`);
    } else assert.equal(bad, 0, vector.text);
  }
  tunnel.close();
  const settled = await Promise.all(acks);
  assert.equal(settled[6], 'acked', 'ack:7');
  assert.equal(settled[7], 'ERR_ACK_REFUSED:ERR_REFUSED', 'nack:8 without a code');
  assert.equal(settled[0], 'ERR_TUNNEL_CLOSED:undefined', 'never answered: closed with the tunnel');
});

test('a close packet from the server ends the tunnel', async () => {
  const { platform, receive } = handPlatform({ request: tunnelRequest });
  const tunnel = new (createClient({ platform }).Tunnel)('http://business.test/tunnel');
  tunnel.open();
  await new Promise<void>((resolve) => tunnel.on('connect', () => resolve()));
  const closing = frames.find((v) => v.frame?.type === 'close')!;
  receive(closing.text);
  assert.equal(tunnel.state, 'closed');
});
