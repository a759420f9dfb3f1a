import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { ImWebhookHandlers } from '@hutong/node-sdk';
import { expressImWebhook } from '@hutong/node-sdk/express';
import { imTypes } from '@hutong/protocol/im';
import express from 'express';
import WebSocket from 'ws';
import { type DevStack, devTunnelSignatureKey } from '../src/stack.js';
import { startTestStack, until } from './stack-fixture.js';

type Frame = { type: number; dataContent?: string; from?: string };

async function imClient(stack: DevStack, userId: string, token: string) {
  const ws = new WebSocket(`${stack.url.replace(/^http/, 'ws')}/im`);
  const frames: Frame[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
  await new Promise((resolve) => ws.once('open', resolve));
  const send = (frame: object) =>
    ws.send(JSON.stringify({ from: userId, to: '0', QoS: false, typeu: -1, ...frame }));
  send({
    type: imTypes.login,
    dataContent: JSON.stringify({ loginUserId: userId, loginToken: token, firstLoginTime: 0 }),
  });
  await until(() => frames.some((f) => f.type === imTypes.loginResponse), 'login response');
  const code = (
    JSON.parse(frames.find((f) => f.type === imTypes.loginResponse)!.dataContent!) as { code: number }
  ).code;
  const next = async (type: number) => {
    await until(() => frames.some((f) => f.type === type), `frame ${type}`);
    return frames.find((f) => f.type === type)!;
  };
  return { ws, frames, code, send, next };
}

describe('IM hooks as webhooks to a business server (node-sdk expressImWebhook)', () => {
  let stack: DevStack;
  let server: import('node:http').Server;
  let up = true;
  const events: { kind: string }[] = [];
  const handlers: ImWebhookHandlers = {
    verifyLogin: ({ userId, token }) => token === `pw-${userId}`,
    beforeForward: (message) => !message.content.includes('spam'),
    onEvent: (event) => events.push(event),
  };
  before(async () => {
    const app = express();
    app.post(
      '/im-hooks',
      (_req, res, next) => (up ? next() : res.status(503).end()),
      expressImWebhook(handlers, { key: devTunnelSignatureKey }),
    );
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/im-hooks`;
    stack = await startTestStack({
      HUTONG_IM_WEBHOOK_URL: url,
      HUTONG_IM_WEBHOOK_VERIFY: 'true',
      HUTONG_IM_WEBHOOK_FILTER: 'true',
    });
  });
  after(async () => {
    await stack.close();
    server.close();
  });

  test('the business server verifies logins with its own user ids and filters messages; events follow', async () => {
    assert.equal((await imClient(stack, 'app-user-1', 'wrong')).code, 1025);
    const one = await imClient(stack, 'app-user-1', 'pw-app-user-1');
    assert.equal(one.code, 0);
    one.send({ type: imTypes.data, to: 'app-user-2', dataContent: 'buy spam now', fp: 'f1', QoS: true });
    assert.equal(
      (JSON.parse((await one.next(imTypes.error)).dataContent!) as { errorCode: number }).errorCode,
      1403,
    );
    one.send({ type: imTypes.data, to: 'app-user-2', dataContent: 'hello', fp: 'f2', QoS: true });
    await one.next(imTypes.ack);
    await until(() => events.some((e) => e.kind === 'stored-offline'), 'stored-offline event');
    const stored = events.find((e) => e.kind === 'stored-offline') as unknown as {
      userIds: string[];
      message: { content: string };
    };
    assert.deepEqual(stored.userIds, ['app-user-2']);
    assert.equal(stored.message.content, 'hello');
    assert.ok(events.some((e) => e.kind === 'online'));
    assert.ok(events.some((e) => e.kind === 'forwarded'));
    const two = await imClient(stack, 'app-user-2', 'pw-app-user-2');
    assert.equal((await two.next(imTypes.data)).dataContent, 'hello');
    // With the recipient connected, `forwarded` says so and nothing is stored offline.
    one.send({ type: imTypes.data, to: 'app-user-2', dataContent: 'again', fp: 'f3', QoS: true });
    type Forwarded = { kind: string; message?: { content: string }; recipients?: unknown };
    const isAgain = (e: Forwarded) => e.kind === 'forwarded' && e.message?.content === 'again';
    await until(() => events.some(isAgain), 'forwarded event of the second message');
    assert.deepEqual((events as Forwarded[]).find(isAgain)?.recipients, [
      { userId: 'app-user-2', online: true },
    ]);
    assert.equal(events.filter((e) => e.kind === 'stored-offline').length, 1);
    one.ws.close();
    two.ws.close();
    await until(() => events.filter((e) => e.kind === 'offline').length === 2, 'offline events');
  });

  test('a business server that is down: logins get 1027, messages are not accepted (1503) and nothing is lost', async () => {
    const one = await imClient(stack, 'app-user-3', 'pw-app-user-3');
    up = false;
    try {
      assert.equal((await imClient(stack, 'app-user-4', 'pw-app-user-4')).code, 1027);
      one.send({ type: imTypes.data, to: 'app-user-4', dataContent: 'later', fp: 'g1', QoS: true });
      assert.equal(
        (JSON.parse((await one.next(imTypes.error)).dataContent!) as { errorCode: number }).errorCode,
        1503,
      );
      assert.equal(
        one.frames.some((f) => f.type === imTypes.ack),
        false,
        'no ACK: the client resends',
      );
    } finally {
      up = true;
    }
    one.send({ type: imTypes.data, to: 'app-user-4', dataContent: 'later', fp: 'g1', QoS: true });
    await one.next(imTypes.ack);
    one.ws.close();
  });
});
