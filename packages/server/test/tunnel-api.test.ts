import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fetchFailure, WebhookReceiver } from '@hutong/core';
import { tunnelSignature } from '@hutong/protocol/wafer-signature';
import { receiveHostAllowed, repairReceiveUrl } from '../src/tunnel/tunnel-routes.js';
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

  test('signature before body: a 4 MB deeply nested unsigned push is refused with the signature error, unparsed', async (t) => {
    const depth = 2_000_000;
    const body = `{"data":"[]","signature":"${'0'.repeat(40)}","z":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    // Every JSON.parse of the request is watched: none may see more than the small `data` string.
    const parse = JSON.parse;
    let largest = 0;
    JSON.parse = ((text: string, reviver?: Parameters<typeof parse>[1]) => {
      largest = Math.max(largest, String(text).length);
      return parse(text, reviver);
    }) as typeof JSON.parse;
    let reply: { status: number; body: { error?: string } };
    const started = performance.now();
    try {
      const response = await fetch(`${f.url}/tunnel/ws/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      reply = { status: response.status, body: (await response.json()) as { error?: string } };
    } finally {
      JSON.parse = parse;
    }
    t.diagnostic(`4 MB nested unsigned push refused in ${Math.round(performance.now() - started)} ms`);
    assert.equal(reply.status, 403);
    assert.equal(reply.body.error, 'ERR_TUNNEL_SIGNATURE');
    assert.ok(largest < 1024, `the nesting was never parsed (largest JSON.parse input: ${largest})`);
  });

  test('signed envelopes: unknown fields are skipped, bad JSON is ERR_NOT_JSON, get/wsurl and rooms take 64 KiB', async () => {
    // A 5,000-id push, as big as the Wafer SDKs send them, still fits ws/push.
    const ids = Array.from({ length: 5000 }, (_, i) => i.toString(16).padStart(32, '0'));
    const big = await f.api('/ws/push', [{ tunnelIds: ids, type: 'message', content: '{"type":"t"}' }], {
      extra: { nested: [{ a: [1, 2, { b: 'x' }] }], n: -1.5e3, t: true, z: null },
    });
    assert.equal(big.status, 200);
    assert.equal(big.body.data.invalidTunnelIds.length, 5000);
    for (const text of [
      '',
      '[]',
      '{"data":"[]"',
      '{"data":"[]",}',
      '{"data":"\\x"}',
      '{"a":tru}',
      '{"a":1} x',
    ]) {
      const response = await fetch(`${f.url}/tunnel/ws/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: text,
      });
      assert.equal(response.status, 400, text);
      assert.equal(((await response.json()) as { error: string }).error, 'ERR_NOT_JSON', text);
    }
    const typed = await f.api('/ws/push', [], { data: { not: 'a string' } });
    assert.equal(typed.body.error, 'ERR_BAD_REQUEST', 'a read field that is not a string');
    const large = await f.api('/get/wsurl', { receiveUrl: 'http://127.0.0.1/x', pad: 'x'.repeat(64 * 1024) });
    assert.equal(large.status, 413);
    assert.equal(large.body.error, 'ERR_PAYLOAD_TOO_LARGE');
    const rooms = await f.api('/rooms', { op: 'presence', rooms: ['r'] }, { pad: 'x'.repeat(64 * 1024) });
    assert.equal(rooms.status, 413);
  });

  test('repairReceiveUrl fixes only the bracketed host:port form', () => {
    assert.equal(repairReceiveUrl('https://[example.com:8443]/tunnel'), 'https://example.com:8443/tunnel');
    assert.equal(repairReceiveUrl('http://[::1]:8080/tunnel'), 'http://[::1]:8080/tunnel');
    assert.equal(repairReceiveUrl('https://example.com/tunnel'), 'https://example.com/tunnel');
  });
});

describe('webhook delivery', () => {
  test('events reuse kept-alive connections to the business server', async () => {
    const business = await receiverServer();
    const receiver = new WebhookReceiver(business.url, { key: KEY });
    try {
      for (let i = 0; i < 20; i += 1) await receiver.deliver({ tunnelId: `t${i}`, type: 'connect' });
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => receiver.deliver({ tunnelId: `c${i}`, type: 'close' })),
      );
      assert.equal(business.received.length, 30);
      assert.ok(business.received.every((r) => r.signed));
      assert.ok(business.connections() <= 10, `${business.connections()} connections for 30 events`);
    } finally {
      await business.close();
    }
  });

  test('a business server that does not answer in time is a TimeoutError, retried, then dropped', async () => {
    const silent = createServer(() => {}); // takes the request, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const logs: { fields: Record<string, unknown>; message: string | undefined }[] = [];
    const receiver = new WebhookReceiver(`http://127.0.0.1:${port}/tunnel`, {
      key: KEY,
      timeoutMs: 50,
      retryDelaysMs: [5],
      logger: recordingLogger(logs),
    });
    try {
      await assert.rejects(
        receiver.deliver({ tunnelId: 't', type: 'connect' }),
        (error: { code?: string; message?: string }) =>
          error.code === 'ERR_TUNNEL_DELIVERY' && /TimeoutError/.test(error.message ?? ''),
      );
      assert.equal((logs.at(-1)!.fields['error'] as { code?: string }).code, 'TimeoutError');
      assert.equal(logs.at(-1)?.fields['attempts'], 2);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

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

  test('redirects are not followed: a 307 is a failed delivery, not retried, logged with its status', async () => {
    const target = await receiverServer();
    const redirects: string[] = [];
    const redirecting = createServer((req, res) => {
      redirects.push(req.url ?? '');
      req.resume();
      res.writeHead(307, { location: target.url }).end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    const { port } = redirecting.address() as AddressInfo;
    const logs: { fields: Record<string, unknown>; message: string | undefined }[] = [];
    const logger = recordingLogger(logs);
    const dropped: string[] = [];
    const receiver = new WebhookReceiver(`http://127.0.0.1:${port}/tunnel`, {
      key: KEY,
      retryDelaysMs: [5, 5],
      logger,
      onDrop: (e) => dropped.push(e.type),
    });
    try {
      await assert.rejects(
        receiver.deliver({ tunnelId: 't', type: 'connect' }),
        (error: { code?: string; message?: string }) =>
          error.code === 'ERR_TUNNEL_DELIVERY' && /307/.test(error.message ?? ''),
      );
      assert.equal(redirects.length, 1, 'one try: a redirect is final');
      assert.equal(target.received.length, 0, 'the redirect target never got the event');
      assert.deepEqual(dropped, ['connect']);
      assert.equal(logs.at(-1)?.fields['status'], 307);
    } finally {
      await new Promise((resolve) => redirecting.close(resolve));
      await target.close();
    }
  });

  test('a receiver that cannot be reached is logged with the cause (ECONNREFUSED), not just status 0', async () => {
    const logs: { fields: Record<string, unknown>; message: string | undefined }[] = [];
    // A port nobody listens on (port 1 would be refused by fetch itself, as a "bad port").
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const dead = new WebhookReceiver(`http://127.0.0.1:${port}/tunnel`, {
      key: KEY,
      retryDelaysMs: [],
      logger: recordingLogger(logs),
    });
    await assert.rejects(
      dead.deliver({ tunnelId: 't', type: 'connect' }),
      (error: { code?: string; message?: string }) =>
        error.code === 'ERR_TUNNEL_DELIVERY' && /ECONNREFUSED/.test(error.message ?? ''),
    );
    const line = logs.at(-1)!;
    assert.equal(line.fields['status'], 0);
    assert.equal((line.fields['error'] as { code?: string }).code, 'ECONNREFUSED');
    assert.match(String((line.fields['error'] as { message?: string }).message), /ECONNREFUSED/);
    assert.match(String(line.message), /ECONNREFUSED/);
    assert.deepEqual(
      fetchFailure(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
      {
        code: 'TimeoutError',
        message: 'The operation was aborted due to timeout',
      },
    );
  });
});

describe('tunnel receive hosts', () => {
  test('get/wsurl with a receiveUrl outside receiveHosts is refused with ERR_TUNNEL_RECEIVE_HOST', async () => {
    const f = await startTunnels(
      {},
      { receiveHosts: ['biz.example.com', '127.0.0.1:8080', '*.corp.example'] },
    );
    try {
      for (const receiveUrl of [
        'http://evil.example.com/tunnel',
        'http://127.0.0.1:9090/tunnel',
        'http://169.254.169.254/latest/meta-data',
        'http://corp.example/tunnel',
        'http://[127.0.0.1:8081]/tunnel',
      ]) {
        const reply = await f.api('/get/wsurl', { receiveUrl });
        assert.equal(reply.status, 403, receiveUrl);
        assert.equal(reply.body.error, 'ERR_TUNNEL_RECEIVE_HOST', receiveUrl);
      }
      assert.equal(f.hub.size, 0, 'nothing allocated');
      for (const receiveUrl of [
        'https://BIZ.example.com/weapp/tunnel',
        'http://127.0.0.1:8080/tunnel',
        'http://[127.0.0.1:8080]/tunnel',
        'https://a.b.corp.example/t',
      ]) {
        const reply = await f.api('/get/wsurl', { receiveUrl });
        assert.equal(reply.status, 200, receiveUrl);
      }
    } finally {
      await f.close();
    }
    assert.equal(receiveHostAllowed(new URL('http://x.test/'), undefined), true, 'no list: any host');
    assert.equal(receiveHostAllowed(new URL('http://x.test/'), []), true, 'an empty list: any host');
  });
});

function recordingLogger(logs: { fields: Record<string, unknown>; message: string | undefined }[]) {
  const log = (fields: object | string, message?: string) => {
    if (typeof fields === 'string') logs.push({ fields: {}, message: fields });
    else logs.push({ fields: fields as Record<string, unknown>, message });
  };
  return { debug: log, info: log, warn: log, error: log };
}
