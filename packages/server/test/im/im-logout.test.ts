/**
 * A logout over HTTP reaches the IM connections logged in with that session, on every node: two
 * full Hutong nodes (createCluster, one LocalBus), IM logins checked against Hutong sessions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WeChatApi } from '@hutong/core';
import { LocalBroker, LocalBus } from '../../src/brokers/local-broker.js';
import { imCloseCodes } from '../../src/im/im-hub.js';
import { type Cluster, createCluster, until } from '../../src/testing/index.js';
import { online } from './im-fixtures.js';

/** WeChat as far as logins go: code `c` is user `o-c`. */
const wechat: WeChatApi = {
  code2Session: async (_app, code) => ({ openid: `o-${code}`, sessionKey: 'c2Vzc2lvbi1rZXktMTIzNDU2Nw==' }),
  getPhoneNumber: async () => {
    throw new Error('not in this test');
  },
};

describe('IM: logging out closes the IM connections of that session, across nodes', () => {
  let cluster: Cluster;
  const bus = new LocalBus();
  const broker = new LocalBroker(bus, 'observer');
  const presence = async (user: string) => (await broker.whereAre([user])).get(user) ?? [];
  const imUrl = (n: number) => `${cluster.urls[n]!.replace(/^http/, 'ws')}/im`;
  const login = async (code: string) => {
    const response = await fetch(`${cluster.urls[0]}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    assert.equal(response.status, 200);
    return ((await response.json()) as { skey: string }).skey;
  };
  const logout = (path: '/session' | '/sessions', skey: string) =>
    fetch(`${cluster.urls[0]}/api/v1${path}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${skey}` },
    });
  const devicesOf = (user: string) => cluster.nodes.flatMap((node) => node.im.devices(user));

  before(async () => {
    cluster = await createCluster(2, {
      hutong: { wechat },
      broker: (nodeId) => new LocalBroker(bus, nodeId),
    });
  });
  after(() => cluster.close());

  test('DELETE /api/v1/session on node 0: that session’s socket on node 1 is closed 4401, another session’s stays', async () => {
    const first = await login('u1');
    const second = await login('u1');
    const phone = (await online(imUrl(1), 'o-u1', { token: first, extra: '{"deviceId":"phone"}' })).client;
    const pc = (await online(imUrl(1), 'o-u1', { token: second, extra: '{"deviceId":"pc"}' })).client;
    await until(async () => (await presence('o-u1')).includes('node1'), 'presence of node 1');
    assert.equal((await logout('/session', first)).status, 204);
    assert.equal(await phone.closed, imCloseCodes.loggedOut);
    pc.send({ type: 1, from: 'o-u1', dataContent: '{}' });
    await pc.next((f) => f.type === 51, 'the other session’s device stays');
    assert.deepEqual(devicesOf('o-u1'), ['pc']);
    // The old token no longer logs in.
    assert.equal((await online(imUrl(1), 'o-u1', { token: first })).response.code, 1025);
    pc.ws.close();
  });

  test('DELETE /api/v1/sessions: every IM connection of the user on every node is closed', async () => {
    const a = await login('u2');
    const b = await login('u2');
    const here = (await online(imUrl(0), 'o-u2', { token: a, extra: '{"deviceId":"phone"}' })).client;
    const there = (await online(imUrl(1), 'o-u2', { token: b, extra: '{"deviceId":"pc"}' })).client;
    const bystander = (await online(imUrl(1), 'o-u3', { token: await login('u3') })).client;
    await until(async () => (await presence('o-u2')).length === 2, 'presence on both nodes');
    const response = await logout('/sessions', a);
    assert.deepEqual(await response.json(), { ended: 2 });
    assert.equal(await here.closed, imCloseCodes.loggedOut);
    assert.equal(await there.closed, imCloseCodes.loggedOut);
    assert.deepEqual(devicesOf('o-u2'), []);
    bystander.send({ type: 1, from: 'o-u3', dataContent: '{}' });
    await bystander.next((f) => f.type === 51, 'another user stays');
    bystander.ws.close();
  });
});
