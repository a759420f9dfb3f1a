import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { imTypes } from '@hutong/protocol/im';
import WebSocket from 'ws';
import type { DevStack } from '../src/stack.js';
import { phone } from './client-fixture.js';
import { startTestStack } from './stack-fixture.js';

/** Logs in on /im with raw MobileIMSDK frames; resolves with the login response and the socket. */
async function imLogin(stack: DevStack, userId: string, token: string) {
  const ws = new WebSocket(`${stack.url.replace(/^http/, 'ws')}/im`);
  const frames: { type: number; dataContent?: string; from?: string }[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(String(data))));
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(
    JSON.stringify({
      type: imTypes.login,
      from: userId,
      to: '0',
      dataContent: JSON.stringify({ loginUserId: userId, loginToken: token, extra: null, firstLoginTime: 0 }),
    }),
  );
  const waitFor = async (type: number) => {
    for (let i = 0; i < 300; i += 1) {
      const found = frames.find((f) => f.type === type);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no frame of type ${type}: ${JSON.stringify(frames)}`);
  };
  const response = JSON.parse((await waitFor(imTypes.loginResponse)).dataContent ?? '{}') as { code: number };
  return { ws, response, waitFor };
}

describe('IM on the dev stack: logins are Hutong sessions', () => {
  let stack: DevStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(() => stack.close());

  test('the skey of a login is the IM token of that openid; another user’s skey or garbage is refused', async () => {
    const a = phone(stack);
    const b = phone(stack);
    await a.client.login();
    await b.client.login();
    const skeyA = a.client.session.get()!.skey;
    const openidA = a.wx.sim.openid!;
    const openidB = b.wx.sim.openid!;

    const ok = await imLogin(stack, openidA, skeyA);
    assert.equal(ok.response.code, 0);
    assert.equal((await imLogin(stack, openidB, skeyA)).response.code, 1026, 'a token of another user');
    assert.equal((await imLogin(stack, openidA, 'not-a-session')).response.code, 1025);

    const bob = await imLogin(stack, openidB, b.client.session.get()!.skey);
    ok.ws.send(
      JSON.stringify({
        type: imTypes.data,
        from: openidA,
        to: openidB,
        dataContent: '你好',
        fp: 'x1',
        QoS: true,
      }),
    );
    const got = await bob.waitFor(imTypes.data);
    assert.equal(got.dataContent, '你好');
    assert.equal(got.from, openidA);
    ok.ws.close();
    bob.ws.close();
  });
});
