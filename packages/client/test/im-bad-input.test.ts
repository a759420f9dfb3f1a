import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { until } from '@hutong/core/testing';
import WebSocket, { WebSocketServer } from 'ws';
import {
  createClient,
  historyUrlOf,
  ImClient as Im,
  type ImClient,
  type ImOptions,
} from '../src/core/index.js';
import { createNodePlatform } from '../src/node.js';
import type { WebSocketConstructor } from '../src/platform/websocket.js';

interface Frame {
  type: number;
  dataContent?: string | null;
  from?: string;
  to?: string;
  fp?: string;
}

/** What the fake IM server does with a client frame; `reply` writes raw text back. */
type Script = (frame: Frame, reply: (text: string | object) => void, ws: WebSocket) => void;

const loginResponse = (code: number, firstLoginTime = 1000) => ({
  type: 50,
  from: '0',
  to: 'u1',
  dataContent: JSON.stringify({ code, firstLoginTime }),
});

/** MobileIMSDK's server, minimally: login ok, pong, ACK with Hutong's sid/seq/conv. */
const standard: Script = (frame, reply, ws) => {
  if (frame.type === 0) reply(loginResponse(0));
  else if (frame.type === 1) reply({ type: 51, from: '0', dataContent: '{}' });
  else if (frame.type === 2)
    reply({
      type: 4,
      from: frame.to,
      to: frame.from,
      dataContent: frame.fp,
      sid: 7,
      seq: 1,
      conv: 'c:u1|u2',
    });
  else if (frame.type === 3) ws.close();
};

/** A business server answering logins (`skey` k1, k2, …) and a raw MobileIMSDK-style server at `/im`. */
async function fakeServer() {
  let logins = 0;
  let script: Script = standard;
  const frames: Frame[] = [];
  const sockets: WebSocket[] = [];
  const http = createServer((req, res) => {
    if (req.url?.startsWith('/login')) {
      logins += 1;
      res.end(JSON.stringify({ skey: `k${logins}`, userInfo: { openId: 'u1' } }));
    } else if (req.url?.startsWith('/im/history')) {
      res
        .writeHead(req.headers['x-wx-skey'] ? 200 : 401)
        .end(JSON.stringify({ conv: 'c:u1|u2', messages: [], reads: {}, url: req.url }));
    } else res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server: http, path: '/im' });
  wss.on('connection', (ws) => {
    sockets.push(ws);
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      frames.push(frame);
      script(frame, (text) => ws.send(typeof text === 'string' ? text : JSON.stringify(text)), ws);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    base,
    url: `${base.replace('http', 'ws')}/im`,
    frames,
    sockets,
    logins: () => logins,
    use(next: Script) {
      script = next;
      frames.length = 0;
    },
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

describe('ImClient against an IM server that misbehaves', () => {
  let server: Awaited<ReturnType<typeof fakeServer>>;
  const clients: ImClient[] = [];
  before(async () => {
    server = await fakeServer();
  });
  after(async () => {
    for (const im of clients) im.close();
    await server.close();
  });

  function im(options: Partial<ImOptions> = {}) {
    const client = createClient({
      platform: createNodePlatform({
        login: async () => 'code',
        WebSocket: WebSocket as unknown as WebSocketConstructor,
      }),
      loginUrl: `${server.base}/login`,
    });
    const imClient = new Im(client, { url: server.url, reconnectDelayMs: 20, ...options });
    clients.push(imClient);
    return { client, im: imClient };
  }

  test('malformed and unknown frames are counted and ignored; the link stays up and good frames get through', async () => {
    const junk: (string | Buffer)[] = [
      Buffer.from([1, 2, 3]),
      'garbage',
      '{"type":"x"}',
      '{}',
      '[2]',
      JSON.stringify({ type: 2, dataContent: 'no sender' }),
      JSON.stringify({ type: 2, from: 'u2', fp: 12, dataContent: 'fp not a string' }),
      JSON.stringify({ type: 99, dataContent: 'unknown type' }),
      JSON.stringify({ type: 60, dataContent: 'not json' }),
      JSON.stringify({ type: 61, dataContent: '{"conv":"c"}' }),
      JSON.stringify({ type: 52, dataContent: '[]' }),
      JSON.stringify({ type: 4 }),
      JSON.stringify({ type: 50, dataContent: '{"code":"0"}' }),
    ];
    server.use((frame, reply, ws) => {
      if (frame.type !== 0) return standard(frame, reply, ws);
      reply({ type: 2, from: 'u2', to: 'u1', fp: 'early', dataContent: 'before login' }); // not logged in yet: ignored
      reply(loginResponse(0));
      for (const text of junk) ws.send(text);
      reply({ type: 4, from: 'u2', to: 'u1', dataContent: 'not-ours', sid: 1 }); // an ACK for nothing of ours: ignored, not bad
      reply({
        type: 2,
        from: 'u2',
        to: 'u1',
        fp: 'f1',
        dataContent: 'hello',
        sid: 42,
        seq: 3,
        conv: 'c:u1|u2',
        sm: 5,
      });
    });
    const { im: client } = im();
    const messages: unknown[] = [];
    client.on('message', (m) => messages.push(m));
    await client.connect();
    await until(() => messages.length === 1, 'the good message');
    assert.deepEqual(messages[0], {
      sid: 42,
      seq: 3,
      conv: 'c:u1|u2',
      from: 'u2',
      to: 'u1',
      content: 'hello',
      typeu: -1,
      fp: 'f1',
      sentAt: 5,
    });
    assert.equal(client.stats.badFrames, junk.length + 1);
    assert.equal(client.state, 'online');
    await until(() => server.frames.some((f) => f.type === 4), 'the ACK');
    assert.deepEqual(
      server.frames
        .filter((f) => f.type === 4)
        .map(({ from, to, dataContent }) => ({ from, to, dataContent })),
      [{ from: 'u1', to: 'u2', dataContent: 'f1' }],
    );
    client.close();
  });

  test('a repeated message is acknowledged again but told once', async () => {
    const message = {
      type: 2,
      from: 'u2',
      to: 'u1',
      fp: 'f9',
      dataContent: 'once',
      sid: 9,
      seq: 1,
      conv: 'c:u1|u2',
    };
    server.use((frame, reply, ws) => {
      standard(frame, reply, ws);
      if (frame.type === 0) for (let i = 0; i < 3; i += 1) reply(message);
    });
    const { im: client } = im();
    const messages: unknown[] = [];
    client.on('message', (m) => messages.push(m));
    await client.connect();
    await until(() => server.frames.filter((f) => f.type === 4).length === 3, 'three ACKs');
    assert.equal(messages.length, 1);
    assert.equal(client.stats.duplicates, 2);
    client.close();
  });

  test('login refused with 1025: one fresh session, then in; 1026: authFailed and closed', async () => {
    let refusals = 1;
    server.use((frame, reply, ws) => {
      if (frame.type === 0 && refusals-- > 0) {
        reply(loginResponse(1025, -1));
        ws.close();
      } else standard(frame, reply, ws);
    });
    const { im: client } = im();
    const before = server.logins();
    await client.connect();
    const tokens = server.frames
      .filter((f) => f.type === 0)
      .map((f) => JSON.parse(f.dataContent ?? '{}').loginToken);
    assert.equal(server.logins() - before, 2, 'a login for the session, then a forced one');
    assert.deepEqual(tokens, [`k${before + 1}`, `k${before + 2}`]);
    client.close();

    server.use((frame, reply, ws) => {
      if (frame.type === 0) {
        reply(loginResponse(1026, -1));
        ws.close();
      }
    });
    const { im: refused } = im();
    const failures: unknown[] = [];
    refused.on('authFailed', (e) => failures.push(e));
    await assert.rejects(
      refused.connect(),
      (error: { type?: string }) => error.type === 'ERR_IM_AUTH_FAILED',
    );
    assert.deepEqual(failures, [{ code: 1026, reason: 'login refused (1026)' }]);
    assert.equal(refused.state, 'closed');
    await assert.rejects(
      refused.send('u2', 'x'),
      (error: { type?: string }) => error.type === 'ERR_IM_CLOSED',
    );
  });

  test('closed 4008 (slow consumer) or 4029 (pre-login flood): reconnects and logs in again with the same token', async () => {
    let closes = [4008, 4029];
    server.use((frame, reply, ws) => {
      standard(frame, reply, ws);
      const code = closes[0];
      if (frame.type === 0 && code !== undefined) {
        closes = closes.slice(1);
        ws.close(code, 'over the limit');
      }
    });
    const { im: client } = im();
    const failures: unknown[] = [];
    client.on('authFailed', (e) => failures.push(e));
    await client.connect();
    await until(() => server.frames.filter((f) => f.type === 0).length === 3, 'the third login');
    await until(() => client.state === 'online', 'online again');
    const tokens = new Set(
      server.frames.filter((f) => f.type === 0).map((f) => JSON.parse(f.dataContent ?? '{}').loginToken),
    );
    assert.equal(tokens.size, 1, 'the same session');
    assert.deepEqual(failures, []);
    client.close();
  });

  test('closed 4401 (session logged out): authFailed, closed, the old token never used again', async () => {
    server.use((frame, reply, ws) => {
      standard(frame, reply, ws);
      if (frame.type === 0) ws.close(4401, 'logged out');
    });
    const { im: client } = im();
    const failures: unknown[] = [];
    client.on('authFailed', (e) => failures.push(e));
    const ready = client.connect();
    const pending = client.send('u2', 'after logout', { fp: 'lo1' }).then(
      () => 'accepted',
      (e: { type?: string }) => e.type,
    );
    await ready.catch(() => {});
    await until(() => failures.length === 1, 'authFailed');
    assert.deepEqual(failures, [{ code: 4401, reason: 'logged out' }]);
    assert.equal(client.state, 'closed');
    assert.ok(['accepted', 'ERR_IM_AUTH_FAILED'].includes(String(await pending)), 'settled either way');
    await new Promise((resolve) => setTimeout(resolve, 100)); // reconnect delay is 20 ms: none came
    assert.equal(server.frames.filter((f) => f.type === 0).length, 1, 'no login with the old token');
  });

  test('closed 4440 (session expired): one fresh session, then in; expired again at once: authFailed', async () => {
    let expiries = 1;
    server.use((frame, reply, ws) => {
      standard(frame, reply, ws);
      if (frame.type === 0 && expiries-- > 0) ws.close(4440, 'session expired');
    });
    const { im: client } = im();
    const before = server.logins();
    await client.connect();
    await until(() => server.frames.filter((f) => f.type === 0).length === 2, 'the second login');
    await until(() => client.state === 'online', 'online again');
    const tokens = server.frames
      .filter((f) => f.type === 0)
      .map((f) => JSON.parse(f.dataContent ?? '{}').loginToken);
    assert.deepEqual(tokens, [`k${before + 1}`, `k${before + 2}`], 'a fresh session for the second');
    client.close();

    server.use((frame, _reply, ws) => {
      if (frame.type === 0) ws.close(4440, 'session expired');
    });
    const { im: given } = im();
    const failures: unknown[] = [];
    given.on('authFailed', (e) => failures.push(e));
    await assert.rejects(given.connect({ userId: 'u1', token: 'app-token' }), (e: { type?: string }) => {
      return e.type === 'ERR_IM_AUTH_FAILED';
    });
    assert.deepEqual(
      failures,
      [{ code: 4440, reason: 'session expired' }],
      'a token of the app: not refreshable',
    );
  });

  test('no pong in time: the client reconnects and logs in with the firstLoginTime of its first login', async () => {
    server.use((frame, reply) => {
      if (frame.type === 0) reply(loginResponse(0, 4242)); // keep-alives never answered
    });
    const { im: client } = im({ keepAliveMs: 50, pongTimeoutMs: 80 });
    const states: string[] = [];
    client.on('state', ({ to }) => states.push(to));
    await client.connect();
    await until(() => server.frames.filter((f) => f.type === 0).length >= 2, 'a second login');
    const logins = server.frames.filter((f) => f.type === 0).map((f) => JSON.parse(f.dataContent ?? '{}'));
    assert.equal(logins[0].firstLoginTime, 0);
    assert.equal(logins[1].firstLoginTime, 4242);
    assert.ok(
      server.frames.some((f) => f.type === 1),
      'keep-alives were sent',
    );
    assert.deepEqual(states.slice(0, 3), ['connecting', 'online', 'reconnecting']);
    client.close();
  });

  test('error 301 on a logged-in link: the client logs in again on it', async () => {
    let first = true;
    server.use((frame, reply, ws) => {
      standard(frame, reply, ws);
      if (frame.type === 0 && first) {
        first = false;
        reply({ type: 52, from: '0', dataContent: JSON.stringify({ errorCode: 301, errorMsg: 'who?' }) });
      }
    });
    const { im: client } = im();
    await client.connect();
    await until(() => server.frames.filter((f) => f.type === 0).length === 2, 'the second login');
    await until(() => client.state === 'online', 'online again');
    assert.equal(server.sockets.at(-1)?.readyState, WebSocket.OPEN);
    client.close();
  });

  test('rate limited (1429): paused, then resent with the same fp; refused (1403 + fp): rejected at once', async () => {
    let limited = true;
    server.use((frame, reply, ws) => {
      if (frame.type === 2 && frame.dataContent === 'fast' && limited) {
        limited = false;
        reply({
          type: 52,
          from: '0',
          dataContent: JSON.stringify({ errorCode: 1429, errorMsg: 'slow down' }),
        });
      } else if (frame.type === 2 && frame.dataContent === 'bad') {
        reply({ type: 52, from: '0', dataContent: JSON.stringify({ errorCode: 1403, errorMsg: frame.fp }) });
      } else standard(frame, reply, ws);
    });
    const { im: client } = im();
    await client.connect();
    const started = Date.now();
    const sent = await client.send('u2', 'fast', { fp: 'fast-1' });
    assert.deepEqual(sent, { fp: 'fast-1', sid: 7, seq: 1, conv: 'c:u1|u2' });
    assert.ok(Date.now() - started >= 900, 'waited about a second');
    assert.deepEqual(
      server.frames.filter((f) => f.type === 2).map((f) => f.fp),
      ['fast-1', 'fast-1'],
    );
    const refused: unknown[] = [];
    client.on('refused', (e) => refused.push(e));
    await assert.rejects(
      client.send('u2', 'bad', { fp: 'bad-1' }),
      (e: { type?: string }) => e.type === 'ERR_IM_REFUSED',
    );
    assert.deepEqual(refused, [
      { message: { fp: 'bad-1', to: 'u2', content: 'bad', typeu: -1 }, code: 1403 },
    ]);
    assert.equal(client.queued, 0);
    client.close();
  });

  test('server busy (1504 + fp + retryAfterMs): waits what the server asked, then resends with the same fp', async () => {
    let busy = true;
    server.use((frame, reply, ws) => {
      if (frame.type === 2 && busy) {
        busy = false;
        reply({
          type: 52,
          from: '0',
          fp: frame.fp,
          dataContent: JSON.stringify({ errorCode: 1504, errorMsg: 'server busy', retryAfterMs: 400 }),
        });
      } else standard(frame, reply, ws);
    });
    const { im: client } = im({ resendAfterMs: 10_000 });
    const errors: unknown[] = [];
    client.on('error', (e) => errors.push(e));
    await client.connect();
    const started = Date.now();
    const sent = await client.send('u2', 'later', { fp: 'busy-1' });
    const waited = Date.now() - started;
    assert.equal(sent.fp, 'busy-1');
    assert.ok(waited >= 380 && waited < 2000, `waited ${waited} ms for the 400 ms asked`);
    assert.deepEqual(
      server.frames.filter((f) => f.type === 2).map((f) => f.fp),
      ['busy-1', 'busy-1'],
    );
    assert.deepEqual(errors, [{ code: 1504, message: 'server busy' }]);
    client.close();
  });

  test('never acknowledged: resent with the same fp, then messagesLost; waiting offline is not lost', async () => {
    server.use((frame, reply, ws) => {
      if (frame.type !== 2) standard(frame, reply, ws);
    });
    const { im: client } = im({ resendAfterMs: 100, lostAfterMs: 350 });
    const lost: unknown[] = [];
    client.on('messagesLost', (list) => lost.push(...list));
    await client.connect();
    await assert.rejects(
      client.send('u2', 'void', { fp: 'v1', typeu: 3 }),
      (e: { type?: string }) => e.type === 'ERR_IM_LOST',
    );
    assert.deepEqual(lost, [{ fp: 'v1', to: 'u2', content: 'void', typeu: 3 }]);
    const sends = server.frames.filter((f) => f.type === 2);
    assert.ok(sends.length >= 3, `resent (${sends.length} transmissions)`);
    assert.ok(sends.every((f) => f.fp === 'v1'));

    // Offline longer than lostAfterMs: queued, not lost; sent and accepted once the server answers.
    server.use(() => {});
    for (const ws of server.sockets) ws.terminate();
    await until(() => client.state === 'reconnecting', 'noticed the drop');
    const pending = client.send('u2', 'later', { fp: 'l1' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(client.queued, 1);
    server.use(standard);
    for (const ws of server.sockets) ws.terminate();
    assert.deepEqual(await pending, { fp: 'l1', sid: 7, seq: 1, conv: 'c:u1|u2' });
    client.close();
  });

  test('close() sends a logout, rejects what waits, keeps it stored; history goes to <http>/im/history with the session', async () => {
    server.use((frame, reply, ws) => {
      if (frame.type !== 2) standard(frame, reply, ws);
    });
    const { client: hutong, im: client } = im();
    await client.connect();
    const pending = client.send('u2', 'kept', { fp: 'k1' });
    client.close();
    client.close();
    await assert.rejects(pending, (e: { type?: string }) => e.type === 'ERR_IM_CLOSED');
    await until(() => server.frames.some((f) => f.type === 3), 'the logout');
    const stored = hutong.platform.storage.get('hutong_im_outbox:u1') as { fp: string }[];
    assert.deepEqual(
      stored.map((m) => m.fp),
      ['k1'],
    );

    assert.equal(historyUrlOf('wss://h.example.com/im?x=1'), 'https://h.example.com/im/history');
    assert.equal(historyUrlOf('ws://h:1/chat/im/'), 'http://h:1/chat/im/history');
    const history = (await client.history({ with: 'u 2' }, { after: 3, limit: 10 })) as unknown as {
      url: string;
    };
    assert.equal(history.url, '/im/history?with=u%202&after=3&limit=10');
  });

  test('bad calls: invalid targets and content are rejected, nothing queued', async () => {
    server.use(standard);
    const { im: client } = im({ maxFrameBytes: 1024 });
    void client.connect();
    for (const to of ['', '0', '-1', 'g:', 42 as unknown as string]) {
      await assert.rejects(
        client.send(to, 'x'),
        (e: { type?: string }) => e.type === 'ERR_INVALID_PARAMS',
        String(to),
      );
    }
    await assert.rejects(
      client.send('u2', 'x'.repeat(2000)),
      (e: { type?: string }) => e.type === 'ERR_IM_TOO_LARGE',
    );
    assert.throws(
      () => client.markRead('c:u1|u2', 0),
      (e: { type?: string }) => e.type === 'ERR_INVALID_PARAMS',
    );
    assert.equal(client.queued, 0);
    client.close();
  });
});
