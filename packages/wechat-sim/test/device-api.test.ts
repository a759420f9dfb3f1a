import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WeChatSim, wechatSimPlugin } from '@hutong/wechat-sim';
import Fastify from 'fastify';
import { assertWxError, code2session, startSim } from './helpers.js';

test('device bodies are validated: 400 with {errcode, errmsg}', async () => {
  const sim = await startSim();
  try {
    const bad = async (path: string, body: unknown, errcode: number, text: string, raw?: string) => {
      const reply = await sim.post(path, body, raw);
      assert.equal(reply.status, 400, `${path} ${JSON.stringify(body)}`);
      assertWxError(reply.body, errcode, text);
    };
    await bad('/sim/login', undefined, 47001, 'data format error', '{"openid":');
    await bad('/sim/login', [], 40097, 'invalid args');
    await bad('/sim/login', { openid: 'has space' }, 40097, 'invalid args');
    await bad('/sim/login', { openid: 5 }, 40097, 'invalid args');
    await bad('/sim/login', { extra: true }, 40097, 'invalid args');
    await bad('/sim/login', { appid: 'wxffffffffffffffff' }, 40013, 'invalid appid');
    await bad('/sim/userinfo', {}, 40097, 'invalid args');
    await bad('/sim/userinfo', { code: 'A'.repeat(32) }, 40029, 'invalid code');
    const { code } = await sim.login();
    await bad('/sim/userinfo', { code, userInfo: { nickName: 5 } }, 40097, 'invalid args');
    await bad('/sim/userinfo', { code, kind: 'everything' }, 40097, 'invalid args');
    await bad('/sim/userinfo', { code, appid: 'wxffffffffffffffff' }, 40029, 'invalid code');
    await bad('/sim/phonenumber', { phoneNumber: '+86 138' }, 40097, 'invalid args');
    await bad('/sim/checksession', { code: 'A'.repeat(32) }, 40029, 'invalid code');
    await bad('/sim/apps', { appid: 'wxnew' }, 40097, 'invalid args');

    const huge = await sim.post('/sim/login', { openid: 'o'.repeat(20_000) });
    assert.equal(huge.status, 413);
    assert.equal(huge.body['errcode'], 47001);

    // An absent body is an empty one: a new user of the default app.
    const empty = await sim.post('/sim/login');
    assert.equal(empty.status, 200);
    assert.equal(empty.body['appid'], sim.apps[0]!.appid);
  } finally {
    await sim.close();
  }
});

test('an unknown openid is adopted (a phone that outlived a simulator restart)', async () => {
  const sim = await startSim();
  try {
    const { code, openid } = await sim.login({ openid: 'oKnownToThePhone' });
    assert.equal(openid, 'oKnownToThePhone');
    assert.equal((await code2session(sim, sim.apps[0]!, code))['openid'], 'oKnownToThePhone');
  } finally {
    await sim.close();
  }
});

test('apps registered at runtime work at once; re-registering changes the secret', async () => {
  const sim = await startSim();
  try {
    const app = { appid: 'wxdddddddddddddddd', secret: 'd'.repeat(32) };
    assert.deepEqual((await sim.post('/sim/apps', app)).body, { appid: app.appid });
    const { code } = await sim.login({ appid: app.appid });
    assert.equal((await sim.post('/sim/apps', { ...app, secret: 'e'.repeat(32) })).status, 200);
    assertWxError(await code2session(sim, app, code), 40125, 'invalid appsecret');
    assert.equal(
      typeof (await code2session(sim, { ...app, secret: 'e'.repeat(32) }, code))['openid'],
      'string',
    );
  } finally {
    await sim.close();
  }
});

test('mounted under a prefix, the plugin leaves the host app’s parsers and errors alone', async () => {
  const app = Fastify();
  app.post('/echo', async (request) => ({ got: request.body }));
  await app.register(wechatSimPlugin, { sim: new WeChatSim(), prefix: '/__wx' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const echo = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    assert.deepEqual(await echo.json(), { got: { a: 1 } });
    const broken = await fetch(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    assert.equal(broken.status, 400);
    assert.equal(
      ((await broken.json()) as Record<string, unknown>)['errcode'],
      undefined,
      'the host keeps Fastify’s own error shape',
    );

    const login = await fetch(`${base}/__wx/sim/login`, { method: 'POST' });
    const { code } = (await login.json()) as { code: string };
    const session = await fetch(
      `${base}/__wx/sns/jscode2session?appid=wx0123456789abcdef&secret=0123456789abcdef0123456789abcdef&js_code=${code}&grant_type=authorization_code`,
    );
    assert.equal(typeof ((await session.json()) as Record<string, unknown>)['session_key'], 'string');
  } finally {
    await app.close();
  }
});
