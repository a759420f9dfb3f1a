import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HutongIm } from '@hutong/node-sdk';
import { imTypes } from '@hutong/protocol/im';
import { tunnelSignature } from '@hutong/protocol/wafer-signature';
import WebSocket from 'ws';
import { type DevStack, devTunnelSignatureKey } from '../src/stack.js';
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

    // History over HTTP, for the session's user; read positions beside it.
    const history = await a.client.request({ url: `${stack.url}/im/history?with=${openidB}&after=0` });
    assert.equal(history.statusCode, 200);
    const body = history.data as { conv: string; messages: { content: string; seq: number; from: string }[] };
    assert.deepEqual(
      body.messages.map((m) => [m.seq, m.from, m.content]),
      [[1, openidA, '你好']],
    );
    const newest = await a.client.request({
      url: `${stack.url}/im/history?with=${openidB}&before=9007199254740991`,
    });
    assert.deepEqual(
      (newest.data as typeof body).messages.map((m) => m.seq),
      [1],
      'scrolling back starts from the newest',
    );
    assert.deepEqual(
      (await a.client.request({ url: `${stack.url}/im/history?with=${openidB}&before=1` })).data,
      {
        ...(newest.data as object),
        messages: [],
      },
    );
    const both = await a.client.request({ url: `${stack.url}/im/history?with=${openidB}&after=0&before=5` });
    assert.equal(both.statusCode, 400);
    const unauthenticated = await fetch(`${stack.url}/im/history?with=${openidB}`);
    assert.equal(unauthenticated.status, 401);
  });

  test('groups are set by the business side with a signed call; history is for members only', async () => {
    const a = phone(stack);
    const b = phone(stack);
    await a.client.login();
    await b.client.login();
    const data = JSON.stringify({ groupId: 'team', members: [a.wx.sim.openid] });
    const signed = (body: object) =>
      fetch(`${stack.url}/im/groups`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal((await signed({ data, signature: 'forged' })).status, 403);
    const set = await signed({ data, signature: tunnelSignature(data, devTunnelSignatureKey) });
    assert.equal(set.status, 200);
    assert.deepEqual(((await set.json()) as { data: { members: string[] } }).data.members, [a.wx.sim.openid]);
    assert.equal((await a.client.request({ url: `${stack.url}/im/history?group=team` })).statusCode, 200);
    const outsider = await b.client.request({ url: `${stack.url}/im/history?group=team` });
    assert.equal(outsider.statusCode, 403);
    assert.equal((outsider.data as { error: { code: string } }).error.code, 'ERR_FORBIDDEN');
    const both = await a.client.request({ url: `${stack.url}/im/history?group=team&with=x` });
    assert.equal(both.statusCode, 400);

    // The node SDK does the same, remotely (signed) and in process.
    const remote = new HutongIm({ url: stack.url, key: devTunnelSignatureKey });
    assert.deepEqual(await remote.setGroupMembers('crew', ['z', 'y', 'y']), ['y', 'z']);
    const local = new HutongIm({ store: stack.hutong.imStore });
    assert.deepEqual(await local.setGroupMembers('crew', ['x']), ['x']);
    await assert.rejects(new HutongIm({ url: stack.url, key: 'wrong' }).setGroupMembers('crew', []), {
      code: 'ERR_TUNNEL_UNAVAILABLE',
    });
  });
});
