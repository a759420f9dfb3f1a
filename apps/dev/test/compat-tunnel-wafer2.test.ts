/**
 * wafer2-client-sdk 2.1.0, unchanged, in the dev stack's chat room at `/weapp/tunnel`: two
 * official clients (each in its own worker thread, with its own `wx`) connect, see the people
 * count, speak, hear each other, and leave.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { type DevStack, devApp } from '../src/stack.js';
import { startTestStack } from './stack-fixture.js';

let stack: DevStack;
before(async () => {
  stack = await startTestStack();
});
after(() => stack.close());

function phone(nickName: string) {
  const events: { event: string; payload: any }[] = [];
  const worker = new Worker(new URL('./wafer2-chat-worker.mjs', import.meta.url), {
    workerData: { url: stack.url, appid: devApp.appid, nickName },
  });
  worker.on('message', (message: { event: string; payload: unknown }) => events.push(message));
  // Generous: a worker thread loading the official SDK is slow while other suites load the machine.
  const waitFor = async (
    match: (e: { event: string; payload: any }) => boolean,
    what: string,
    ms = 15_000,
  ) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const found = events.find(match);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`${nickName}: no ${what}; events: ${JSON.stringify(events).slice(0, 400)}`);
  };
  return { events, waitFor, send: (cmd: object) => worker.postMessage(cmd), stop: () => worker.terminate() };
}

test('two official clients chat in the room: people, speak both ways, leave', async () => {
  const alice = phone('阿丽');
  let bob: ReturnType<typeof phone> | undefined;
  try {
    await alice.waitFor((e) => e.event === 'connect', 'connect');
    const own = await alice.waitFor(
      (e) => e.event === 'people' && e.payload.enter?.nickName === '阿丽',
      'own entry',
    );
    assert.equal(own.payload.total, 1);
    bob = phone('Bob');
    await bob.waitFor((e) => e.event === 'connect', 'connect');
    const entered = await alice.waitFor((e) => e.event === 'people' && e.payload.total === 2, 'bob enters');
    assert.equal(entered.payload.enter.nickName, 'Bob');
    assert.ok(entered.payload.enter.openId, 'the room knows users from their sessions');
    assert.equal(stack.chat.total, 2);

    alice.send({ cmd: 'speak', word: '你好，Bob' });
    const heard = await bob.waitFor((e) => e.event === 'speak', 'alice speaks');
    assert.deepEqual([heard.payload.who.nickName, heard.payload.word], ['阿丽', '你好，Bob']);
    bob.send({ cmd: 'speak', word: 'hello <b>alice</b>' });
    const back = await alice.waitFor(
      (e) => e.event === 'speak' && e.payload.who.nickName === 'Bob',
      'bob speaks',
    );
    assert.equal(back.payload.word, 'hello <b>alice</b>');

    bob.send({ cmd: 'close' });
    await bob.waitFor((e) => e.event === 'close', 'close');
    const left = await alice.waitFor((e) => e.event === 'people' && 'leave' in e.payload, 'bob leaves');
    assert.deepEqual([left.payload.total, left.payload.leave.nickName], [1, 'Bob']);
  } finally {
    await Promise.all([alice.stop(), bob?.stop()]);
  }
});

test('asking for a tunnel without a session is 401 code -1', async () => {
  const response = await fetch(`${stack.url}/weapp/tunnel`);
  assert.equal(response.status, 401);
  assert.equal(((await response.json()) as { code: number }).code, -1);
});
