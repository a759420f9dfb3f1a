/**
 * Property-based fuzzing of a running node: random and mutated frames on real tunnel and IM
 * sockets, before and after login, never crash the server. Each sequence ends with a check that
 * the node still answers `/healthz` and still serves a well-behaved tunnel and IM client.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HandlerReceiver } from '@hutong/core';
import { encodeProtocal, imTypes } from '@hutong/protocol/im';
import fc from 'fast-check';
import WebSocket from 'ws';
import { type Cluster, createCluster } from '../src/testing/index.js';
import { until } from './tunnel-fixtures.js';

let cluster: Cluster;
let base: string;

before(async () => {
  cluster = await createCluster(1, {
    hutong: {
      imVerifyLogin: async ({ userId, token }) =>
        token === `t-${userId}` ? { ok: true } : { ok: false, code: 1025 },
    },
  });
  base = cluster.urls[0]!;
});
after(() => cluster.close());

/** Opens a socket, sends `frames` (as fast as the socket takes them), and closes it. */
async function spray(url: string, frames: (string | Uint8Array)[]): Promise<void> {
  const ws = new WebSocket(url);
  ws.on('error', () => {});
  const open = await new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('close', () => resolve(false));
  });
  if (open) {
    for (const frame of frames) {
      if (ws.readyState !== WebSocket.OPEN) break; // a limit closed it: that is a fine answer
      ws.send(frame);
    }
  }
  ws.terminate();
}

/** The node is up and still does its job for a well-behaved client. */
async function healthy(): Promise<void> {
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  const node = cluster.nodes[0]!;
  const events: string[] = [];
  const { connectUrl } = node.router.allocate(
    new HandlerReceiver({ onMessage: (_id, type) => void events.push(type) }),
  );
  const ws = new WebSocket(connectUrl);
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send('message:{"type":"ok","content":1}');
  await until(() => events.includes('ok'), 'a good message after the noise', 5000);
  ws.close();
}

const text = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  fc.constantFrom(
    'ping',
    'pong',
    'close',
    'message:',
    'message:{',
    'emit:',
    'emit:1:{}',
    'ack:',
    'nack:x:y',
    'timeout:9',
  ),
  fc.tuple(fc.constantFrom('message:', 'emit:7:'), fc.json({ maxDepth: 3 })).map(([p, j]) => p + j),
);
const binary = fc.uint8Array({ maxLength: 64 });

test('tunnel sockets: random frames never take the node down', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.oneof(text, text, binary), { maxLength: 40 }), async (frames) => {
      const { connectUrl } = cluster.nodes[0]!.router.allocate(new HandlerReceiver({}));
      await spray(connectUrl, frames);
    }),
    { numRuns: 60 },
  );
  await healthy();
});

test('IM sockets: random frames, before and after login, never take the node down', async () => {
  const protocal = fc
    .record({
      type: fc.integer({ min: -2, max: 70 }),
      from: fc.constantFrom('u1', 'u2', '', '0', '-1', 'a|b'),
      to: fc.constantFrom('u1', 'u2', '0', '-1', 'a|b', 'g1'),
      fp: fc.option(fc.uuid(), { nil: null }),
      QoS: fc.boolean(),
      typeu: fc.integer({ min: -1, max: 100 }),
      dataContent: fc.option(fc.oneof(fc.string({ maxLength: 100 }), fc.json({ maxDepth: 3 })), {
        nil: null,
      }),
    })
    .map((value) => encodeProtocal(value));
  const login = (user: string) =>
    encodeProtocal({
      type: imTypes.login,
      from: user,
      to: '0',
      dataContent: JSON.stringify({ loginUserId: user, loginToken: `t-${user}` }),
    });
  await fc.assert(
    fc.asyncProperty(
      fc.boolean(),
      fc.array(fc.oneof(protocal, protocal, text, binary), { maxLength: 30 }),
      async (loggedIn, frames) => {
        await spray(`${base}/im`, loggedIn ? [login('u1'), ...frames] : frames);
      },
    ),
    { numRuns: 60 },
  );
  await healthy();
  // And IM still works: u2 logs in and is answered.
  const ws = new WebSocket(`${base}/im`);
  const answers: string[] = [];
  ws.on('message', (data) => answers.push(String(data)));
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(login('u2'));
  await until(
    () => answers.some((a) => JSON.parse(a).type === imTypes.loginResponse),
    'the login answer',
    5000,
  );
  ws.close();
});
