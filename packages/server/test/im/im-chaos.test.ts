/**
 * Chaos: 20 users on 2 IM nodes over Redis exchange 10,000 messages while sockets are killed at
 * random, some users go away and come back, and one node restarts. The clients here are raw
 * MobileIMSDK speakers with the minimum a reliable client needs (resend what was not accepted at
 * each login, and after `retryAfterMs` what the server refused as busy; acknowledge what arrives;
 * drop duplicates by sid), so this tests the server's guarantee: every accepted message reaches its
 * recipient exactly once, in conversation order.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { until } from '@hutong/core/testing';
import { imHutongCodes, imTypes } from '@hutong/protocol/im';
import WebSocket from 'ws';
import { service, uniqueSuffix } from '../../../../testing/services.js';
import { RedisBroker } from '../../src/brokers/redis-broker.js';
import { SqliteMessageStore } from '../../src/im/sqlite-message-store.js';
import { startIm } from './im-fixtures.js';

const redis = await service('redis');
const USERS = Number(process.env.IM_CHAOS_USERS ?? 20);
const MESSAGES = Number(process.env.IM_CHAOS_MESSAGES ?? 10_000);

interface Received {
  sid: number;
  conv: string;
  seq: number;
}

class ChaosClient {
  ws: WebSocket | undefined;
  online = false;
  away = false;
  stopped = false;
  firstLoginTime = 0;
  readonly outbox = new Map<string, { to: string; text: string }>();
  /** sid → recipient, for every message the server accepted from this user. */
  readonly accepted = new Map<number, string>();
  readonly received: Received[] = [];
  readonly seen = new Set<number>();
  duplicates = 0;
  logins = 0;
  /** Data frames the server refused as busy (1504, backpressure) and this client sent again. */
  busy = 0;

  constructor(
    readonly userId: string,
    readonly urls: () => string[],
  ) {}

  connect(): void {
    if (this.stopped || this.away) return;
    const urls = this.urls();
    const ws = new WebSocket(urls[Math.floor(Math.random() * urls.length)]!);
    this.ws = ws;
    ws.on('error', () => {});
    ws.on('open', () => {
      this.#send(ws, {
        type: imTypes.login,
        dataContent: JSON.stringify({
          loginUserId: this.userId,
          loginToken: `token-${this.userId}`,
          firstLoginTime: this.firstLoginTime,
        }),
      });
    });
    ws.on('message', (data) => this.#frame(ws, JSON.parse(String(data))));
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.online = false;
      this.ws = undefined;
      setTimeout(() => this.connect(), 20 + Math.random() * 80);
    });
  }

  send(to: string, text: string): void {
    const fp = randomBytes(12).toString('hex');
    this.outbox.set(fp, { to, text });
    if (this.online && this.ws) this.#data(this.ws, fp, to, text);
  }

  kill(): void {
    this.ws?.terminate();
  }

  #data(ws: WebSocket, fp: string, to: string, text: string): void {
    this.#send(ws, { type: imTypes.data, to, dataContent: text, fp, QoS: true, typeu: 1 });
  }

  #send(ws: WebSocket, frame: Record<string, unknown>): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ from: this.userId, to: '0', ...frame }));
  }

  #frame(ws: WebSocket, f: Record<string, any>): void {
    if (f['type'] === imTypes.loginResponse) {
      const { code, firstLoginTime } = JSON.parse(f['dataContent']) as {
        code: number;
        firstLoginTime: number;
      };
      if (code !== 0) return;
      this.firstLoginTime ||= firstLoginTime;
      this.online = true;
      this.logins += 1;
      for (const [fp, m] of this.outbox) this.#data(ws, fp, m.to, m.text); // whatever was not accepted
    } else if (f['type'] === imTypes.ack && this.outbox.has(f['dataContent'])) {
      const sent = this.outbox.get(f['dataContent'])!;
      this.outbox.delete(f['dataContent']);
      this.accepted.set(f['sid'], sent.to);
    } else if (f['type'] === imTypes.data) {
      this.#send(ws, { type: imTypes.ack, to: f['from'], dataContent: f['fp'] });
      if (this.seen.has(f['sid'])) this.duplicates += 1;
      else {
        this.seen.add(f['sid']);
        this.received.push({ sid: f['sid'], conv: f['conv'], seq: f['seq'] });
      }
    } else if (f['type'] === imTypes.error && this.outbox.has(f['fp'])) {
      const { errorCode, retryAfterMs } = JSON.parse(f['dataContent']) as {
        errorCode: number;
        retryAfterMs?: number;
      };
      if (errorCode !== imHutongCodes.busy) return;
      this.busy += 1;
      const fp = f['fp'] as string;
      setTimeout(() => {
        const m = this.outbox.get(fp);
        if (m && this.ws === ws) this.#data(ws, fp, m.to, m.text);
      }, retryAfterMs ?? 1000);
    } else if (f['type'] === imTypes.kickout) {
      // A stale connection of ours was replaced: the new one carries on.
    }
  }
}

describe('IM chaos: 2 nodes over Redis, random kills, a restart, users away', { skip: redis.skip }, () => {
  const store = new SqliteMessageStore({ file: ':memory:' });
  const prefix = `hutong-test:${uniqueSuffix()}:`;
  type Node = { im: Awaited<ReturnType<typeof startIm>>; broker: RedisBroker };
  const nodes: (Node | undefined)[] = [];
  const startNode = async (port?: number): Promise<Node> => {
    const broker = new RedisBroker({ url: redis.url, prefix, nodeTtlMs: 1500 });
    await broker.start(() => {});
    const im = await startIm({ store, broker, maxMessagesPerSecond: 10_000, resendMs: 500 }, { port });
    return { im, broker };
  };
  before(async () => {
    nodes.push(await startNode(), await startNode());
  });
  after(async () => {
    for (const node of nodes) {
      await node?.im.close();
      await node?.broker.close();
    }
    await store.close();
  });

  test(`${USERS} users exchange ${MESSAGES} messages; every accepted one arrives once, in order`, async () => {
    const urls = () => nodes.filter((n): n is Node => n !== undefined).map((n) => n.im.url);
    const clients = Array.from({ length: USERS }, (_, i) => new ChaosClient(`user${i}`, urls));
    for (const c of clients) c.connect();
    await until(() => clients.every((c) => c.online), 'everyone online', 5000);

    let kills = 0;
    const chaos = setInterval(() => {
      clients[Math.floor(Math.random() * clients.length)]!.kill();
      kills += 1;
    }, 40);
    const restartAt = Math.floor(MESSAGES / 2);
    let aways = 0;
    for (let n = 0; n < MESSAGES; n += 1) {
      const from = clients[n % USERS]!;
      let to = clients[Math.floor(Math.random() * USERS)]!;
      if (to === from) to = clients[(n + 1) % USERS]!;
      from.send(to.userId, `${from.userId}->${to.userId}#${n}`);
      if (n % 1000 === 500) {
        // A user goes away for a while (app closed), then comes back.
        const gone = clients[Math.floor(Math.random() * USERS)]!;
        gone.away = true;
        gone.kill();
        aways += 1;
        setTimeout(() => {
          gone.away = false;
          gone.connect();
        }, 700);
      }
      if (n === restartAt) {
        const old = nodes[1]!;
        nodes[1] = undefined;
        await old.im.close();
        await old.broker.close();
        setTimeout(async () => {
          nodes[1] = await startNode(old.im.port);
        }, 300);
      }
      if (n % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    clearInterval(chaos);
    await until(() => nodes[1] !== undefined, 'node 2 back', 5000);
    await until(
      () => clients.every((c) => c.online && c.outbox.size === 0),
      'every message accepted',
      60_000,
    );

    const expected = new Map<string, Set<number>>();
    for (const c of clients) {
      for (const [sid, to] of c.accepted) {
        const set = expected.get(to) ?? new Set<number>();
        set.add(sid);
        expected.set(to, set);
      }
    }
    const done = () => clients.every((c) => c.seen.size === (expected.get(c.userId)?.size ?? 0));
    await until(done, 'every accepted message delivered', 60_000);

    const accepted = clients.reduce((sum, c) => sum + c.accepted.size, 0);
    const delivered = clients.reduce((sum, c) => sum + c.received.length, 0);
    const duplicates = clients.reduce((sum, c) => sum + c.duplicates, 0);
    const logins = clients.reduce((sum, c) => sum + c.logins, 0);
    const busy = clients.reduce((sum, c) => sum + c.busy, 0);
    console.log(
      `IM chaos: ${MESSAGES} sent, ${accepted} accepted, ${delivered} delivered once, ${duplicates} duplicates dropped by sid, ` +
        `${kills} sockets killed, ${aways} users away, 1 node restart, ${logins} logins, ${busy} refused as busy and sent again`,
    );
    assert.equal(accepted, MESSAGES, 'every message was eventually accepted');
    for (const c of clients) {
      assert.deepEqual(
        new Set(c.received.map((r) => r.sid)),
        expected.get(c.userId) ?? new Set(),
        `${c.userId}: exactly the accepted ones`,
      );
      const lastSeq = new Map<string, number>();
      for (const r of c.received) {
        assert.ok(r.seq > (lastSeq.get(r.conv) ?? 0), `${c.userId}: ${r.conv} in order`);
        lastSeq.set(r.conv, r.seq);
      }
    }
    for (const c of clients) {
      c.stopped = true;
      c.ws?.close();
    }
  });
});
