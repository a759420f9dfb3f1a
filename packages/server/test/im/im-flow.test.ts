/**
 * Flow on one IM connection and one node: ACKs are handled ahead of the connection's queued data,
 * and a store that falls behind makes the node refuse data with 1504 and a `retryAfterMs`
 * (backpressure) instead of queueing it; what was refused is accepted when sent again.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Accepted, NewMessage } from '@hutong/core';
import { until } from '@hutong/core/testing';
import { imExtensionTypes, imHutongCodes, imTypes } from '@hutong/protocol/im';
import type { ImHubOptions } from '../../src/im/im-options.js';
import { SqliteMessageStore } from '../../src/im/sqlite-message-store.js';
import { type Frame, online, startIm } from './im-fixtures.js';

/** An in-memory store whose accepts wait while the gate is shut. */
class GatedStore extends SqliteMessageStore {
  #gate: Promise<void> | undefined;
  #open: (() => void) | undefined;
  waiting = 0;

  constructor() {
    super({ file: ':memory:' });
  }

  shut(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  open(): void {
    this.#open?.();
    this.#gate = undefined;
  }

  override async accept(message: NewMessage): Promise<Accepted> {
    if (this.#gate) {
      this.waiting += 1;
      await this.#gate;
      this.waiting -= 1;
    }
    return super.accept(message);
  }
}

const content = (f: Frame) => JSON.parse(f['dataContent']) as Record<string, any>;
const isError = (code: number) => (f: Frame) => f.type === imTypes.error && content(f)['errorCode'] === code;
const isAck = (fp: string) => (f: Frame) => f.type === imTypes.ack && f['dataContent'] === fp;

/** A node on a GatedStore with `options` for `body`; after it, however it ends, the gate opens and both close. */
async function gated(
  options: Partial<ImHubOptions>,
  body: (im: Awaited<ReturnType<typeof startIm>>, store: GatedStore) => Promise<void>,
): Promise<void> {
  const store = new GatedStore();
  const im = await startIm({ ...options, store });
  try {
    await body(im, store);
  } finally {
    store.open();
    await im.close();
    await store.close();
  }
}

describe('IM flow: ACKs ahead of data, backpressure', () => {
  test('an ACK becomes a receipt while its connection’s own message waits for the store', () =>
    gated({}, async (im, store) => {
      const a = (await online(im.url, 'fa')).client;
      const b = (await online(im.url, 'fb')).client;
      a.say('fa', 'fb', 'to b', 'a-1');
      const got = await b.next((f) => f.type === imTypes.data, 'a’s message');
      store.shut();
      b.say('fb', 'fa', 'to a, held by the store', 'b-1');
      await until(() => store.waiting === 1, 'b’s message at the store');
      b.ack(got);
      const receipt = await a.next((f) => f.type === imExtensionTypes.deliveryReceipt, 'receipt');
      assert.deepEqual(content(receipt), { fp: 'a-1', by: 'fb', device: 'default' });
      assert.equal(store.waiting, 1, 'b’s message still waits for the store');
      assert.equal(b.frames.filter(isAck('b-1')).length, 0);
      store.open();
      await b.next(isAck('b-1'), 'b’s message accepted after the store caught up');
      a.ws.close();
      b.ws.close();
    }));

  test('past maxPendingAccepts a data frame is refused with 1504, its fp and a retryAfterMs; sent again it is accepted', () =>
    gated({ maxPendingAccepts: 2 }, async (im, store) => {
      const senders = await Promise.all(
        ['p1', 'p2', 'p3'].map(async (id) => (await online(im.url, id)).client),
      );
      store.shut();
      senders[0]!.say('p1', 'q', 'one', 'm-1');
      senders[1]!.say('p2', 'q', 'two', 'm-2');
      await until(() => store.waiting === 2, 'two accepts at the store');
      senders[2]!.say('p3', 'q', 'three', 'm-3');
      const refused = await senders[2]!.next(isError(imHutongCodes.busy), '1504');
      assert.equal(refused['fp'], 'm-3');
      const { retryAfterMs } = content(refused);
      assert.ok(
        Number.isInteger(retryAfterMs) && retryAfterMs >= 100 && retryAfterMs <= 5000,
        `${retryAfterMs}`,
      );
      assert.equal(im.hub.stats.busy, 1);
      assert.equal(im.hub.pendingAccepts, 2);
      store.open();
      await senders[0]!.next(isAck('m-1'));
      await senders[1]!.next(isAck('m-2'));
      senders[2]!.say('p3', 'q', 'three', 'm-3');
      await senders[2]!.next(isAck('m-3'), 'accepted when sent again');
      assert.equal(im.hub.stats.accepted, 3);
      for (const s of senders) s.ws.close();
    }));

  test('a connection with maxQueuedBytes waiting has its next data refused with 1504; the queued ones are kept', () =>
    // Only the byte limit refuses here: a loaded machine must not turn waits into refusals.
    gated({ maxQueuedBytes: 1000, maxQueueWaitMs: 60_000 }, async (im, store) => {
      const a = (await online(im.url, 'qa')).client;
      store.shut();
      const text = 'x'.repeat(100);
      for (let i = 0; i < 12; i += 1) a.say('qa', 'qb', text, `q-${i}`);
      const refused = await a.next(isError(imHutongCodes.busy), 'a refusal for the full queue');
      store.open();
      const refusedFps = new Set<string>([refused['fp']]);
      await until(() => {
        for (const f of a.frames.filter(isError(imHutongCodes.busy))) refusedFps.add(f['fp']);
        return im.hub.stats.accepted + refusedFps.size === 12;
      }, 'every frame accepted or refused');
      assert.ok(refusedFps.size >= 4, `${refusedFps.size} refused`);
      assert.ok(im.hub.stats.accepted >= 4, `${im.hub.stats.accepted} accepted`);
      const accepted = a.frames.filter((f) => f.type === imTypes.ack).map((f) => f['dataContent']);
      assert.deepEqual(
        accepted,
        Array.from({ length: 12 }, (_, i) => `q-${i}`).filter((fp) => !refusedFps.has(fp)),
        'the queued ones accepted, in order',
      );
      a.ws.close();
    }));

  test('a data frame that waited past maxQueueWaitMs for its turn is refused with 1504, asking to wait as long', () =>
    gated({ maxQueueWaitMs: 50 }, async (im, store) => {
      const a = (await online(im.url, 'wa')).client;
      store.shut();
      a.say('wa', 'wb', 'first', 'w-1');
      await until(() => store.waiting === 1, 'the first at the store');
      a.say('wa', 'wb', 'second', 'w-2');
      a.say('wa', 'wb', 'third', 'w-3');
      await new Promise((resolve) => setTimeout(resolve, 120));
      store.open();
      await a.next(isAck('w-1'), 'the first accepted');
      const refused = [await a.next(isError(imHutongCodes.busy)), await a.next(isError(imHutongCodes.busy))];
      assert.deepEqual(
        refused.map((f) => f['fp']),
        ['w-2', 'w-3'],
      );
      for (const f of refused) assert.ok(content(f)['retryAfterMs'] >= 100, `${content(f)['retryAfterMs']}`);
      assert.equal(im.hub.stats.accepted, 1);
      a.say('wa', 'wb', 'second', 'w-2');
      await a.next(isAck('w-2'), 'accepted when sent again');
      a.ws.close();
    }));
});
