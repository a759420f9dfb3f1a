/**
 * Message recovery: a client that connects with `recover=1` and counts the messages it gets can
 * resume after a drop with `offset=<count>` and receive what it missed, in order, exactly once;
 * the business side sees one continuous tunnel. Official clients (no `recover`) are unaffected.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { RecoveryLog } from '../src/tunnel/recovery-log.js';
import { recorder, startTunnels, type TunnelFixture, until } from './tunnel-fixtures.js';

/**
 * A recovering client: counts `message:` frames, keeps the secret of its `resume:` frame, and
 * reconnects with its count and that secret when told to.
 */
class RecoveringClient {
  readonly received: string[] = [];
  /** Every resume secret its sockets were given, in order. */
  readonly secrets: string[] = [];
  ws!: WebSocket;
  constructor(private readonly connectUrl: string) {}

  async open(resume = false, secret = this.secrets.at(-1)): Promise<number> {
    const url = resume
      ? `${this.connectUrl}&recover=1&offset=${this.received.length}${secret === undefined ? '' : `&resume=${secret}`}`
      : `${this.connectUrl}&recover=1`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.on('message', (data) => {
      const text = String(data);
      if (text.startsWith('message:')) this.received.push(text.slice('message:'.length));
      if (text.startsWith('resume:')) this.secrets.push(text.slice('resume:'.length));
    });
    return new Promise((resolve) => {
      ws.once('open', () => resolve(101));
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });
  }

  /** Resumes from what it counted, with its secret (taken whether or not the server saw the drop). */
  resume(): Promise<number> {
    return this.open(true);
  }

  /** The network dies under the client: no close frame. */
  kill(): void {
    this.ws.terminate();
  }
}

describe('message recovery', () => {
  let f: TunnelFixture;
  before(async () => {
    f = await startTunnels({ recoveryWindowMs: 1000, heartbeatSeconds: 30 });
  });
  after(() => f.close());

  const push = (id: string, n: number) =>
    f.router.push([{ tunnelIds: [id], type: 'message', content: JSON.stringify({ type: 'n', content: n }) }]);

  test('what was pushed while the socket was down arrives on resume, in order, once; no close event', async () => {
    const rec = recorder();
    const { tunnelId, connectUrl } = f.hub.allocate(rec.receiver);
    const client = new RecoveringClient(connectUrl);
    assert.equal(await client.open(), 101);
    for (let i = 1; i <= 3; i += 1) await push(tunnelId, i);
    await until(() => client.received.length === 3, 'three messages', 2000);
    client.kill();
    for (let i = 4; i <= 6; i += 1) {
      const result = await push(tunnelId, i);
      assert.deepEqual(result.invalidTunnelIds, [], 'a detached recoverable tunnel is not invalid');
    }
    assert.equal(await client.resume(), 101);
    for (let i = 7; i <= 8; i += 1) await push(tunnelId, i);
    await until(() => client.received.length === 8, 'eight messages', 2000);
    assert.deepEqual(
      client.received.map((m) => JSON.parse(m).content),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.deepEqual(rec.events, [`connect ${tunnelId}`], 'the business saw one continuous tunnel');
    client.ws.send('close');
    await until(() => rec.events.length === 2, 'the close event', 2000);
    assert.equal(rec.events[1], `close ${tunnelId}`);
  });

  test('1,000 numbered pushes arrive complete and in order across random drops', async () => {
    const { tunnelId, connectUrl } = f.hub.allocate(recorder().receiver);
    const client = new RecoveringClient(connectUrl);
    await client.open();
    let drops = 0;
    for (let n = 1; n <= 1000; n += 1) {
      await push(tunnelId, n);
      if (n % 97 === 0) {
        client.kill();
        drops += 1;
        if (n % 2 === 0) {
          n += 1;
          await push(tunnelId, n); // more traffic while down
        }
        assert.equal(await client.resume(), 101);
      }
    }
    await until(() => client.received.length >= 1000, '1000 messages', 5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const numbers = client.received.map((m) => JSON.parse(m).content as number);
    assert.equal(numbers.length, numbers.at(-1), 'nothing twice');
    assert.deepEqual(
      numbers,
      Array.from({ length: numbers.length }, (_, i) => i + 1),
      'nothing lost, in order',
    );
    assert.ok(drops >= 10);
    client.ws.send('close');
  });

  test('a resume after the window, or from an offset no longer kept, is refused; the close is reported', async () => {
    const rec = recorder();
    const { tunnelId, connectUrl } = f.hub.allocate(rec.receiver);
    const client = new RecoveringClient(connectUrl);
    await client.open();
    client.kill();
    await until(() => rec.events.includes(`close ${tunnelId}`), 'the close event', 3000);
    assert.equal(await client.open(true), 404);

    const log = new RecoveryLog(1000, 3);
    for (let i = 0; i < 5; i += 1) log.append(Buffer.from(String(i)), 0);
    assert.equal(log.since(1, 0), null, 'offset 2 was dropped (max 3 kept)');
    assert.deepEqual(log.since(2, 0)?.map(String), ['2', '3', '4']);
    assert.deepEqual(log.since(5, 0), []);
    assert.equal(log.since(6, 0), null);
    assert.equal(log.since(-1, 0), null);
    assert.equal(log.since(2, 2000), null, 'older than the retention');
  });

  test('a resume needs the secret only the socket saw: a thief with the id cannot take the tunnel over', async () => {
    const rec = recorder();
    const { tunnelId, connectUrl } = f.hub.allocate(rec.receiver);
    const owner = new RecoveringClient(connectUrl);
    assert.equal(await owner.open(), 101);
    await until(() => owner.secrets.length === 1, 'the resume secret', 2000);
    const first = owner.secrets[0]!;
    assert.match(first, /^[\w-]{22}$/, '128 random bits, base64url');

    // Someone who learned the tunnel id (and even the offset) but not the secret: refused.
    const thief = new RecoveringClient(connectUrl);
    assert.equal(await thief.open(true), 403, 'no secret');
    assert.equal(await thief.open(true, 'A'.repeat(22)), 403, 'a wrong secret');
    assert.equal(owner.ws.readyState, WebSocket.OPEN, 'the owner was not touched');
    await push(tunnelId, 1);
    await until(() => owner.received.length === 1, 'the push reaches the owner', 2000);
    assert.deepEqual(thief.received, [], 'the thief got nothing');
    assert.deepEqual(thief.secrets, []);
    assert.deepEqual(rec.events, [`connect ${tunnelId}`]);

    // Once the owner's socket dropped, the owner resumes with its secret; each socket is sent it
    // again, so a socket killed before the frame arrived leaves the client with a good secret.
    owner.kill();
    assert.equal(await owner.resume(), 101);
    await until(() => owner.secrets.length === 2, 'the secret again', 2000);
    assert.equal(owner.secrets[1], first);
    owner.kill();
    await new Promise((resolve) => owner.ws.once('close', resolve));
    assert.equal(await thief.open(true, 'B'.repeat(22)), 403, 'still no way in without it');
    assert.equal(await owner.resume(), 101);
    assert.deepEqual(rec.events, [`connect ${tunnelId}`], 'one continuous tunnel for the business side');
    owner.ws.send('close');
    await until(() => rec.events.length === 2, 'the close event', 2000);
  });

  test('a resume with the secret replaces a socket the server still holds (half-open): nothing is lost to the wait', async () => {
    const rec = recorder();
    const { tunnelId, connectUrl } = f.hub.allocate(rec.receiver);
    const owner = new RecoveringClient(connectUrl);
    assert.equal(await owner.open(), 101);
    await until(() => owner.secrets.length === 1, 'the resume secret', 2000);
    await push(tunnelId, 1);
    await until(() => owner.received.length === 1, 'the first push', 2000);
    // The phone changed networks: its old TCP connection still looks open to the server.
    const stale = owner.ws;
    stale.removeAllListeners('message');
    const closed = new Promise<number>((resolve) => stale.once('close', (code) => resolve(code)));
    await push(tunnelId, 2);
    assert.equal(await owner.open(true), 101, 'taken at once, no 409, no waiting for two heartbeats');
    await until(() => owner.received.length === 2, 'the push the stale socket swallowed, replayed', 2000);
    await closed;
    await push(tunnelId, 3);
    await until(() => owner.received.length === 3, 'later pushes reach the new socket', 2000);
    assert.deepEqual(rec.events, [`connect ${tunnelId}`], 'still one tunnel for the business side');
    owner.ws.send('close');
    await until(() => rec.events.length === 2, 'the close event', 2000);
  });

  test('without recover=1 a drop ends the tunnel at once (official clients)', async () => {
    const rec = recorder();
    const { tunnelId, connectUrl } = f.hub.allocate(rec.receiver);
    const ws = new WebSocket(connectUrl);
    await new Promise((resolve) => ws.once('open', resolve));
    ws.terminate();
    await until(() => rec.events.includes(`close ${tunnelId}`), 'the close event', 2000);
    assert.deepEqual((await push(tunnelId, 1)).invalidTunnelIds, [tunnelId]);
  });
});

describe('message recovery: the send budget holds during a replay', () => {
  test('a resume whose replay overflows a socket that does not read is closed as a slow consumer, and can resume again', async () => {
    const f = await startTunnels({
      maxBufferedBytes: 64 * 1024,
      heartbeatSeconds: 30,
      recoveryWindowMs: 60_000,
    });
    try {
      const rec = recorder();
      const { tunnelId, connectUrl } = f.hub.allocate(rec.receiver);
      const owner = new RecoveringClient(connectUrl);
      assert.equal(await owner.open(), 101);
      await until(() => owner.secrets.length === 1, 'the resume secret', 2000);
      owner.kill();
      // Detached: no socket open, the tunnel kept for its resume.
      await until(() => f.hub.connected === 0 && f.hub.size === 1, 'the drop', 2000);
      // 1,000 messages of 32 KiB (32 MiB) wait in the log: more than the kernel's socket buffers take.
      const content = JSON.stringify({ type: 'blob', content: 'x'.repeat(32 * 1024) });
      for (let i = 0; i < 1000; i += 1) f.hub.push([{ tunnelIds: [tunnelId], type: 'message', content }]);
      // A resuming client that sends its upgrade and then never reads a byte.
      const url = new URL(`${connectUrl}&recover=1&offset=0&resume=${owner.secrets[0]}`);
      const raw = createConnection(Number(url.port), url.hostname);
      raw.on('error', () => {});
      raw.pause();
      raw.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
          'Sec-WebSocket-Version: 13\r\n\r\n',
      );
      await until(() => f.hub.stats.slowConsumers === 1, 'the replay to hit the send budget', 5000);
      assert.deepEqual(rec.events, [`connect ${tunnelId}`], 'detached again, not ended: still recoverable');
      raw.destroy();
    } finally {
      await f.close();
    }
  });
});
