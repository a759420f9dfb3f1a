import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { until } from '@hutong/core/testing';
import { WAFER_MAGIC } from '@hutong/protocol/headers';
import WebSocket, { WebSocketServer } from 'ws';
import { clientErrorTypes, createClient, LoginError, RequestError, type Tunnel } from '../src/core/index.js';
import { createNodePlatform } from '../src/node.js';
import type { WebSocketConstructor } from '../src/platform/websocket.js';

/** A business server whose answers each test sets, and a raw WebSocket server behind `/ws`. */
async function fakeServer() {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const requests: IncomingMessage[] = [];
  const http = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  const wss = new WebSocketServer({ server: http, path: '/ws' });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    base,
    wss,
    requests,
    answer(fn: typeof handler) {
      handler = fn;
    },
    json(status: number, body: unknown) {
      handler = (_req, res) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    },
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

function makeClient(base: string, options: { loginMethod?: string } = {}) {
  let codes = 0;
  const client = createClient({
    platform: createNodePlatform({
      login: async () => `code-${++codes}`,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    }),
    loginUrl: `${base}/login`,
    ...options,
  });
  return { client, logins: () => codes };
}

function watch(tunnel: Tunnel) {
  const events: { type: string; payload: unknown }[] = [];
  tunnel.on('*', (type, payload) => {
    if (type !== 'state') events.push({ type, payload });
  });
  return events;
}

describe('@hutong/client against servers that misbehave', () => {
  let server: Awaited<ReturnType<typeof fakeServer>>;
  before(async () => {
    server = await fakeServer();
  });
  after(() => server.close());

  test('login: HTML, garbage JSON, a 500, or no answer — each a LoginError, nothing stored', async () => {
    const cases: [string, (req: IncomingMessage, res: ServerResponse) => void, string][] = [
      [
        'HTML',
        (_q, r) => r.writeHead(200, { 'content-type': 'text/html' }).end('<html>oops</html>'),
        'ERR_LOGIN_FAILED',
      ],
      ['garbage', (_q, r) => r.end('{"foo":1}'), 'ERR_LOGIN_FAILED'],
      ['500', (_q, r) => r.writeHead(500).end('{"code":1}'), 'ERR_LOGIN_FAILED'],
      ['nothing', (q) => q.socket.destroy(), 'ERR_LOGIN_FAILED'],
      [
        'Wafer 1 refusal',
        (_q, r) =>
          r.end(JSON.stringify({ [WAFER_MAGIC]: 1, error: 'ERR_LOGIN_FAILED', message: 'bad code' })),
        'ERR_LOGIN_MISSING_SESSION',
      ],
    ];
    for (const [name, answer, type] of cases) {
      server.answer(answer);
      const { client } = makeClient(server.base);
      await assert.rejects(client.login(), (error) => {
        assert.ok(error instanceof LoginError, name);
        assert.equal(error.type, type, name);
        return true;
      });
      assert.equal(client.session.get(), null, `${name}: no session`);
    }
  });

  test('Wafer 1 dialect: {MAGIC, session} logs in; requests send X-WX-Id and X-WX-Skey; ERR_INVALID_SESSION renews once', async () => {
    let sessions = 0;
    let refuseNext = false;
    server.answer((req, res) => {
      if (req.url === '/login') {
        sessions += 1;
        res.end(
          JSON.stringify({ [WAFER_MAGIC]: 1, session: { id: `id-${sessions}`, skey: `skey-${sessions}` } }),
        );
      } else if (refuseNext) {
        refuseNext = false;
        res.end(JSON.stringify({ [WAFER_MAGIC]: 1, error: 'ERR_INVALID_SESSION', message: 'expired' }));
      } else {
        res.end(JSON.stringify({ id: req.headers['x-wx-id'], skey: req.headers['x-wx-skey'] }));
      }
    });
    const { client, logins } = makeClient(server.base);
    await client.login();
    assert.deepEqual(client.session.get(), { id: 'id-1', skey: 'skey-1', userInfo: null });
    assert.deepEqual((await client.request({ url: `${server.base}/me` })).data, {
      id: 'id-1',
      skey: 'skey-1',
    });
    refuseNext = true;
    assert.deepEqual((await client.request({ url: `${server.base}/me` })).data, {
      id: 'id-2',
      skey: 'skey-2',
    });
    assert.equal(logins(), 2);
  });

  test('Wafer 1 check failure (any other error) is ERR_CHECK_LOGIN_FAILED without a retry', async () => {
    server.answer((req, res) =>
      res.end(
        req.url === '/login'
          ? JSON.stringify({ [WAFER_MAGIC]: 1, session: { id: 'i', skey: 's' } })
          : JSON.stringify({
              [WAFER_MAGIC]: 1,
              error: 'ERR_CHECK_LOGIN_FAILED',
              message: 'auth server down',
            }),
      ),
    );
    const { client, logins } = makeClient(server.base);
    await assert.rejects(client.request({ url: `${server.base}/me`, login: true }), (error) => {
      assert.ok(error instanceof RequestError);
      assert.equal(error.type, clientErrorTypes.checkLoginFailed);
      return true;
    });
    assert.equal(logins(), 1);
  });

  test("Hutong's own API: POST login with a JSON body; {needLogin: true} renews the session", async () => {
    let n = 0;
    let bodies = '';
    server.answer((req, res) => {
      if (req.url === '/login') {
        req.on('data', (chunk) => {
          bodies += chunk;
        });
        req.on('end', () => {
          n += 1;
          res.end(JSON.stringify({ skey: `s${n}`, userInfo: { openId: 'o' } }));
        });
      } else res.end(JSON.stringify(req.headers['x-wx-skey'] === 's1' ? { needLogin: true } : { ok: true }));
    });
    const { client } = makeClient(server.base, { loginMethod: 'POST' });
    assert.deepEqual(await client.login(), { openId: 'o' });
    assert.match(bodies, /"code":"code-1"/);
    assert.deepEqual((await client.request({ url: `${server.base}/me` })).data, { ok: true });
    assert.equal(client.session.get()?.skey, 's2');
  });

  test('request without a network answer is a RequestError ERR_NETWORK; bad options throw ERR_INVALID_PARAMS', async () => {
    const { client } = makeClient('http://127.0.0.1:1');
    await assert.rejects(client.request({ url: 'http://127.0.0.1:1/x' }), (error: RequestError) => {
      assert.equal(error.type, clientErrorTypes.network);
      return true;
    });
    assert.throws(
      () => client.request(undefined as never),
      (error: RequestError) => error.type === clientErrorTypes.invalidParams,
    );
  });

  test('tunnel service answering HTML, garbage, nothing, or no connectUrl: error 1001 and closed', async () => {
    const answers: ((req: IncomingMessage, res: ServerResponse) => void)[] = [
      (_q, r) => r.writeHead(200, { 'content-type': 'text/html' }).end('<p>hi</p>'),
      (_q, r) => r.end('{"code":0,"data":{}}'),
      (q) => q.socket.destroy(),
      (_q, r) => r.end(JSON.stringify({ code: 0, data: { connectUrl: 'javascript:alert(1)' } })),
    ];
    for (const answer of answers) {
      server.answer((req, res) =>
        req.url === '/login' ? res.end(JSON.stringify({ skey: 'k' })) : answer(req, res),
      );
      const { client } = makeClient(server.base);
      const tunnel = new client.Tunnel(`${server.base}/tunnel`);
      const events = watch(tunnel);
      tunnel.open();
      await until(() => events.some((e) => e.type === 'error'), 'an error');
      assert.equal((events.find((e) => e.type === 'error')!.payload as { code: number }).code, 1001);
      assert.equal(tunnel.state, 'closed');
    }
  });

  test('a draining server (close 4503) gets an immediate reconnect; any other drop waits for the backoff', async () => {
    server.answer((req, res) =>
      res.end(
        JSON.stringify(
          req.url === '/login' ? { skey: 'k' } : { connectUrl: `${server.base.replace('http', 'ws')}/ws` },
        ),
      ),
    );
    for (const [code, immediate] of [
      [4503, true],
      [4000, false],
    ] as const) {
      const { client } = makeClient(server.base);
      const tunnel = new client.Tunnel(`${server.base}/tunnel`, { reconnectDelayMs: 5000, recover: false });
      const connections: number[] = [];
      const onConnection = (ws: { close(code: number, reason: string): void }) => {
        connections.push(Date.now());
        if (connections.length === 1) setTimeout(() => ws.close(code, 'bye'), 20);
      };
      server.wss.on('connection', onConnection);
      tunnel.open();
      if (immediate) {
        await until(() => connections.length === 2, 'the second connection');
        assert.ok(
          connections[1]! - connections[0]! < 1000,
          `reconnected after ${connections[1]! - connections[0]!} ms`,
        );
      } else {
        await new Promise((resolve) => setTimeout(resolve, 600));
        assert.equal(connections.length, 1, 'still waiting for the backoff (2.5-5 s)');
      }
      tunnel.close();
      server.wss.off('connection', onConnection);
    }
  });

  test('unreadable frames are counted and dropped; colliding types arrive as @type; nothing throws', async () => {
    server.answer((req, res) =>
      res.end(
        JSON.stringify(
          req.url === '/login'
            ? { skey: 'k' }
            : { url: `${server.base.replace('http', 'ws')}/ws?tunnelId=t1` },
        ),
      ),
    );
    server.wss.once('connection', (ws) => {
      ws.send(Buffer.from([1, 2, 3]), { binary: true });
      for (const frame of [
        'garbage',
        'message:not json',
        'message:{"no":"type"}',
        'timeout:abc',
        'ack:999',
        'message:{"type":"connect","content":"collides"}',
        'message:{"type":"ok","content":1}',
      ]) {
        ws.send(frame);
      }
    });
    const { client } = makeClient(server.base);
    const tunnel = new client.Tunnel(`${server.base}/tunnel`, { recover: false });
    const events = watch(tunnel);
    tunnel.open();
    await until(() => events.some((e) => e.type === 'ok'), 'the good message');
    assert.deepEqual(
      events.map((e) => e.type),
      ['connect', '@connect', 'ok'],
    );
    assert.equal(tunnel.stats.badFrames, 6);
    assert.equal(tunnel.state, 'active');
    tunnel.close();
  });

  test('heartbeat: timeout:N → ping at once; no pong within N s → reconnect; a first socket that fails is error 1002', async () => {
    let pings = 0;
    server.answer((req, res) =>
      res.end(
        JSON.stringify(
          req.url === '/login'
            ? { skey: 'k' }
            : { url: `${server.base.replace('http', 'ws')}/ws?tunnelId=t2` },
        ),
      ),
    );
    const onConnection = (ws: WebSocket) => {
      ws.on('message', (data) => {
        if (String(data) === 'ping') pings += 1; // never answered
      });
      ws.send('timeout:1');
    };
    server.wss.on('connection', onConnection);
    const { client } = makeClient(server.base);
    const tunnel = new client.Tunnel(`${server.base}/tunnel`, { reconnectDelayMs: 20, recover: false });
    const events = watch(tunnel);
    tunnel.open();
    await until(() => pings === 1, 'a ping right after timeout:1');
    await until(
      () => events.some((e) => e.type === 'reconnecting'),
      'a reconnect after 1 s without pong',
      3000,
    );
    await until(() => events.some((e) => e.type === 'reconnect'), 'reconnected');
    tunnel.close();
    server.wss.off('connection', onConnection);

    server.answer((req, res) =>
      res.end(
        JSON.stringify(req.url === '/login' ? { skey: 'k' } : { url: 'ws://127.0.0.1:1/nothing-here' }),
      ),
    );
    const refused = new client.Tunnel(`${server.base}/tunnel`);
    const refusedEvents = watch(refused);
    refused.open();
    await until(() => refusedEvents.some((e) => e.type === 'error'), 'error 1002');
    assert.equal((refusedEvents.find((e) => e.type === 'error')!.payload as { code: number }).code, 1002);
    assert.equal(refused.state, 'closed');
  });

  test('emit before open is queued; over maxQueued it throws ERR_QUEUE_FULL; an unacknowledged emit times out', async () => {
    const received: string[] = [];
    server.answer((req, res) =>
      res.end(
        JSON.stringify(
          req.url === '/login'
            ? { skey: 'k' }
            : { url: `${server.base.replace('http', 'ws')}/ws?tunnelId=t3` },
        ),
      ),
    );
    const onConnection = (ws: WebSocket) => ws.on('message', (data) => received.push(String(data)));
    server.wss.on('connection', onConnection);
    const { client } = makeClient(server.base);
    const tunnel = new client.Tunnel(`${server.base}/tunnel`, { maxQueued: 2, ackTimeoutMs: 100 });
    tunnel.emit('a', 1);
    tunnel.emit('b', 2);
    assert.throws(
      () => tunnel.emit('c', 3),
      (error: { type?: string }) => error.type === clientErrorTypes.queueFull,
    );
    tunnel.open();
    await until(() => received.length === 2, 'the queue flushed');
    assert.deepEqual(received, ['message:{"type":"a","content":1}', 'message:{"type":"b","content":2}']);
    await assert.rejects(
      tunnel.emit('c', 3, { ack: true }),
      (error: { type?: string }) => error.type === clientErrorTypes.ackTimeout,
    );
    assert.match(received[2] ?? '', /^emit:1:\{"type":"c","content":3\}$/);
    tunnel.close();
    server.wss.off('connection', onConnection);
  });
});
