import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebhookReceiver } from '@hutong/core';
import { tunnelSignature } from '@hutong/protocol/wafer-signature';
import { repairReceiveUrl } from '../src/tunnel/tunnel-routes.js';
import { connect, KEY, receiverServer, startTunnels, type TunnelFixture, until } from './tunnel-fixtures.js';

describe('tunnel server API', () => {
  let f: TunnelFixture;
  before(async () => {
    f = await startTunnels();
  });
  after(() => f.close());

  test('get/wsurl: signed reply; events reach receiveUrl signed and in order; the bracket quirk is repaired', async () => {
    const business = await receiverServer();
    try {
      const quirky = `http://[127.0.0.1:${business.port}]/tunnel`;
      const reply = await f.api('/get/wsurl', { receiveUrl: quirky, protocolType: 'wss' }, { tcKey: KEY });
      assert.equal(reply.status, 200);
      assert.equal(reply.body.code, 0);
      assert.equal(typeof reply.body.data, 'string');
      assert.equal(reply.body.signature, tunnelSignature(reply.body.data, KEY));
      const { tunnelId, connectUrl } = JSON.parse(reply.body.data);
      const c = await connect(connectUrl);
      c.ws.send(`message:${JSON.stringify({ type: 'speak', content: { word: 'hi' } })}`);
      c.ws.send('close');
      await until(() => business.received.length === 3, 'three callbacks', 2000);
      assert.deepEqual(
        business.received.map((r) => [r.data.type, r.data.tunnelId, r.signed]),
        [
          ['connect', tunnelId, true],
          ['message', tunnelId, true],
          ['close', tunnelId, true],
        ],
      );
      assert.equal(
        business.received[1]!.data.content,
        JSON.stringify({ type: 'speak', content: { word: 'hi' } }),
      );
    } finally {
      await business.close();
    }
  });

  test('ws/push: data as an object, or as a signed JSON string when dataEncode is sent', async () => {
    const plain = await f.api('/ws/push', [{ tunnelIds: ['x'], type: 'message', content: '{}' }]);
    assert.deepEqual(plain.body, { code: 0, message: 'OK', data: { invalidTunnelIds: ['x'] } });
    const encoded = await f.api('/ws/push', [{ tunnelIds: ['y'], type: 'close', content: null }], {
      dataEncode: 'json',
    });
    assert.equal(encoded.body.data, JSON.stringify({ invalidTunnelIds: ['y'] }));
    assert.equal(encoded.body.signature, tunnelSignature(encoded.body.data, KEY));
  });

  test('forged signatures, a wrong tcKey and malformed bodies are refused with typed errors', async () => {
    const data = JSON.stringify([{ tunnelIds: ['x'], type: 'message', content: '{}' }]);
    const raw = async (body: unknown) => {
      const response = await fetch(`${f.url}/tunnel/ws/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as { code: number; error: string } };
    };
    const cases: [unknown, number, string][] = [
      [{ data, signature: tunnelSignature(data, 'learned-from-caller') }, 403, 'ERR_TUNNEL_SIGNATURE'],
      [{ data, signature: tunnelSignature(data, KEY), tcKey: 'other' }, 403, 'ERR_TUNNEL_SIGNATURE'],
      [{ data }, 400, 'ERR_BAD_REQUEST'],
      ['{oops', 400, 'ERR_NOT_JSON'],
      [{ data: 'not json', signature: tunnelSignature('not json', KEY) }, 400, 'ERR_BAD_REQUEST'],
      [{ data: '{"a":1}', signature: tunnelSignature('{"a":1}', KEY) }, 400, 'ERR_BAD_REQUEST'],
      [
        {
          data: '[{"type":"explode","tunnelIds":[]}]',
          signature: tunnelSignature('[{"type":"explode","tunnelIds":[]}]', KEY),
        },
        400,
        'ERR_BAD_REQUEST',
      ],
    ];
    for (const [body, status, error] of cases) {
      const reply = await raw(body);
      assert.equal(reply.status, status, JSON.stringify(body).slice(0, 80));
      assert.equal(reply.body.error, error);
      assert.notEqual(reply.body.code, 0);
    }
    const badUrl = await f.api('/get/wsurl', { receiveUrl: 'ftp://x/y' });
    assert.equal(badUrl.body.error, 'ERR_BAD_REQUEST');
  });

  test('repairReceiveUrl fixes only the bracketed host:port form', () => {
    assert.equal(repairReceiveUrl('https://[example.com:8443]/tunnel'), 'https://example.com:8443/tunnel');
    assert.equal(repairReceiveUrl('http://[::1]:8080/tunnel'), 'http://[::1]:8080/tunnel');
    assert.equal(repairReceiveUrl('https://example.com/tunnel'), 'https://example.com/tunnel');
  });
});

describe('webhook delivery', () => {
  test('5xx and a dead receiver are retried, then dropped with a count; 4xx is not retried', async () => {
    let answer = 503;
    const business = await receiverServer(() => answer);
    const dropped: string[] = [];
    const retried: string[] = [];
    const receiver = new WebhookReceiver(business.url, {
      key: KEY,
      retryDelaysMs: [10, 10],
      onDrop: (e) => dropped.push(e.type),
      onRetry: (e) => retried.push(e.type),
    });
    try {
      await assert.rejects(
        receiver.deliver({ tunnelId: 't', type: 'connect' }),
        (error: { code?: string }) => error.code === 'ERR_TUNNEL_DELIVERY',
      );
      assert.equal(business.received.length, 3, 'one try and two retries');
      assert.deepEqual(dropped, ['connect']);
      answer = 400;
      await assert.rejects(
        receiver.deliver({ tunnelId: 't', type: 'close' }),
        (error: { code?: string }) => error.code === 'ERR_TUNNEL_DELIVERY',
      );
      assert.equal(business.received.length, 4, 'a 4xx is final');
      answer = 200;
      await receiver.deliver({ tunnelId: 't', type: 'message', content: '{}' });
      assert.equal(business.received.length, 5);
      assert.deepEqual(dropped, ['connect', 'close']);
    } finally {
      await business.close();
    }
    const dead = new WebhookReceiver('http://127.0.0.1:1/tunnel', {
      key: KEY,
      retryDelaysMs: [5],
      onDrop: (e) => dropped.push(e.type),
    });
    await assert.rejects(
      dead.deliver({ tunnelId: 't', type: 'connect' }),
      (error: { code?: string }) => error.code === 'ERR_TUNNEL_DELIVERY',
    );
    assert.equal(dropped.at(-1), 'connect');
    assert.deepEqual(retried, ['connect', 'connect']);
  });
});
