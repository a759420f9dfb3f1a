/**
 * Message recovery: a client that connects with `recover=1` and counts the messages it gets can
 * resume after a drop with `offset=<count>` and receive what it missed, in order, exactly once;
 * the business side sees one continuous tunnel. Official clients (no `recover`) are unaffected.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { RecoveryLog } from '../src/tunnel/recovery-log.js';
import { recorder, startTunnels, type TunnelFixture, until } from './tunnel-fixtures.js';

/** A recovering client: counts `message:` frames, reconnects with its count when told to. */
class RecoveringClient {
  readonly received: string[] = [];
  ws!: WebSocket;
  constructor(private readonly connectUrl: string) {}

  async open(resume = false): Promise<number> {
    const url = resume
      ? `${this.connectUrl}&recover=1&offset=${this.received.length}`
      : `${this.connectUrl}&recover=1`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.on('message', (data) => {
      const text = String(data);
      if (text.startsWith('message:')) this.received.push(text.slice('message:'.length));
    });
    return new Promise((resolve) => {
      ws.once('open', () => resolve(101));
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });
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
    await new Promise((resolve) => setTimeout(resolve, 30));
    for (let i = 4; i <= 6; i += 1) {
      const result = await push(tunnelId, i);
      assert.deepEqual(result.invalidTunnelIds, [], 'a detached recoverable tunnel is not invalid');
    }
    assert.equal(await client.open(true), 101);
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
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(await client.open(true), 101);
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
