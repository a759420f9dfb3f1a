import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APP_A, APP_B, assertWxError, code2session, startSim } from './helpers.js';

test('a login code yields openid, session_key and unionid once', async () => {
  const sim = await startSim({ apps: [APP_A] });
  try {
    const { code, openid } = await sim.login();
    assert.match(code, /^[A-Za-z0-9]{32}$/);
    assert.match(openid, /^o[A-Za-z0-9_-]{27}$/);
    const reply = await code2session(sim, APP_A, code);
    assert.deepEqual(Object.keys(reply).sort(), ['openid', 'session_key', 'unionid']);
    assert.equal(reply['openid'], openid);
    assert.equal(Buffer.from(String(reply['session_key']), 'base64').length, 16);
    assert.equal(reply['unionid'], sim.sim.user(APP_A.appid, openid)?.unionid);

    assertWxError(await code2session(sim, APP_A, code), 40163, 'code been used');
    assertWxError(await code2session(sim, APP_A, 'x'.repeat(32)), 40029, 'invalid code');
  } finally {
    await sim.close();
  }
});

test('a code expires 5 minutes after wx.login', async () => {
  const sim = await startSim();
  try {
    const app = sim.apps[0]!;
    const early = await sim.login();
    const late = await sim.login();
    sim.clock.advance(5 * 60_000 - 1);
    assert.equal(typeof (await code2session(sim, app, early.code))['session_key'], 'string');
    sim.clock.advance(1);
    assertWxError(await code2session(sim, app, late.code), 40029, 'invalid code');
  } finally {
    await sim.close();
  }
});

test('credentials and parameters are checked in WeChat order', async () => {
  const sim = await startSim({ apps: [APP_A, APP_B] });
  try {
    const { code } = await sim.login({ appid: APP_A.appid });
    const q = { appid: APP_A.appid, secret: APP_A.secret, js_code: code, grant_type: 'authorization_code' };
    const call = (override: Record<string, string>, drop?: string) => {
      const query: Record<string, string> = { ...q, ...override };
      if (drop) delete query[drop];
      return sim.get('/sns/jscode2session', query);
    };
    assertWxError(await call({}, 'appid'), 41002, 'appid missing');
    assertWxError(await call({}, 'secret'), 41004, 'appsecret missing');
    assertWxError(await call({}, 'js_code'), 41008, 'missing code');
    assertWxError(await call({ grant_type: 'client_credential' }), 40002, 'invalid grant_type');
    assertWxError(await call({ appid: 'wxffffffffffffffff' }), 40013, 'invalid appid');
    assertWxError(await call({ secret: 'f'.repeat(32) }), 40125, 'invalid appsecret');
    // A code of app A presented with app B's credentials.
    assertWxError(await call({ appid: APP_B.appid, secret: APP_B.secret }), 40029, 'invalid code');
    // None of the failures above used the code up.
    assert.equal(typeof (await call({}))['openid'], 'string');
  } finally {
    await sim.close();
  }
});

test('more than the per-minute quota of a user → 45011 until the next minute', async () => {
  const sim = await startSim({ code2SessionPerMinute: 3 });
  try {
    const app = sim.apps[0]!;
    const first = await sim.login();
    const codes = [first.code];
    for (let i = 0; i < 4; i += 1) codes.push((await sim.login({ openid: first.openid })).code);
    const other = await sim.login();
    for (const code of codes.slice(0, 3))
      assert.equal((await code2session(sim, app, code))['openid'], first.openid);
    assertWxError(await code2session(sim, app, codes[3]!), 45011, 'api minute-quota reach limit');
    // Another user has a quota of their own.
    assert.equal((await code2session(sim, app, other.code))['openid'], other.openid);
    sim.clock.advance(60_000);
    assert.equal((await code2session(sim, app, codes[3]!))['openid'], first.openid);
  } finally {
    await sim.close();
  }
});

test('several apps keep separate users; unionid only where the app has one', async () => {
  const sim = await startSim({ apps: [APP_A, APP_B] });
  try {
    const a = await sim.login({ appid: APP_A.appid });
    const b = await sim.login({ appid: APP_B.appid });
    const defaultApp = await sim.login();
    assert.equal(defaultApp.appid, APP_A.appid, 'the first app is the default');
    const replyA = await code2session(sim, APP_A, a.code);
    const replyB = await code2session(sim, APP_B, b.code);
    assert.equal(replyA['openid'], a.openid);
    assert.equal(replyB['openid'], b.openid);
    assert.equal(typeof replyA['unionid'], 'string');
    assert.equal(replyB['unionid'], undefined);
    // An openid of app A means nothing to app B: it becomes a new user there.
    const crossed = await sim.login({ appid: APP_B.appid, openid: a.openid });
    assert.notEqual(sim.sim.user(APP_B.appid, crossed.openid), sim.sim.user(APP_A.appid, a.openid));

    // The same person in a second unionid app shares the unionid.
    const appC = { appid: 'wxcccccccccccccccc', secret: 'c'.repeat(32), unionid: true };
    assert.equal((await sim.post('/sim/apps', appC)).status, 200);
    const c = await sim.login({ appid: appC.appid, unionid: String(replyA['unionid']) });
    const replyC = await code2session(sim, appC, c.code);
    assert.equal(replyC['unionid'], replyA['unionid']);
    assert.notEqual(replyC['openid'], replyA['openid']);
  } finally {
    await sim.close();
  }
});

test('injected faults answer first, then the API works again (the code is not used up)', async () => {
  const sim = await startSim();
  try {
    const app = sim.apps[0]!;
    const { code } = await sim.login();
    const injected = await sim.post('/sim/faults', { api: 'jscode2session', errcode: -1, times: 2 });
    assert.deepEqual(injected.body, { api: 'jscode2session', errcode: -1, times: 2 });
    assertWxError(await code2session(sim, app, code), -1, 'system error');
    assertWxError(await code2session(sim, app, code), -1, 'system error');
    assert.equal(typeof (await code2session(sim, app, code))['session_key'], 'string');

    sim.sim.faults.inject('token', 40226);
    assertWxError(
      await sim.get('/cgi-bin/token', {
        grant_type: 'client_credential',
        appid: app.appid,
        secret: app.secret,
      }),
      40226,
      'code blocked',
    );
    assert.equal((await sim.post('/sim/faults', { api: 'nope', errcode: -1 })).status, 400);
  } finally {
    await sim.close();
  }
});
