import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APP_A, APP_B, assertWxError, type SimHarness, startSim } from './helpers.js';

type Credentials = { appid: string; secret: string };

const basic = (sim: SimHarness, app: Credentials = APP_A) =>
  sim.get('/cgi-bin/token', { grant_type: 'client_credential', appid: app.appid, secret: app.secret });
const stable = async (sim: SimHarness, extra: Record<string, unknown> = {}, app: Credentials = APP_A) =>
  (await sim.post('/cgi-bin/stable_token', { grant_type: 'client_credential', ...app, ...extra })).body;

/** Whether a token is accepted, by asking getuserphonenumber with a code it cannot know. */
async function tokenState(sim: SimHarness, token: unknown): Promise<number> {
  const { body } = await sim.post(`/wxa/business/getuserphonenumber?access_token=${String(token)}`, {
    code: 'x',
  });
  return body['errcode'] === 40029 ? 0 : Number(body['errcode']);
}

test('cgi-bin/token: 7200 s; a refetch leaves the old token 5 minutes; then 40001; natural end 42001', async () => {
  const sim = await startSim({ apps: [APP_A, APP_B] });
  try {
    const first = await basic(sim);
    assert.equal(first['expires_in'], 7200);
    assert.match(String(first['access_token']), /^\d+_[A-Za-z0-9_-]{100,}$/);
    assert.equal(await tokenState(sim, first['access_token']), 0);

    sim.clock.advance(60_000);
    const second = await basic(sim);
    assert.notEqual(second['access_token'], first['access_token']);
    sim.clock.advance(5 * 60_000 - 1);
    assert.equal(await tokenState(sim, first['access_token']), 0, 'still inside the 5 minutes');
    sim.clock.advance(1);
    assert.equal(await tokenState(sim, first['access_token']), 40001);
    assert.equal(await tokenState(sim, second['access_token']), 0);
    // Another app's refetch does not touch this app's token.
    await basic(sim, APP_B);
    assert.equal(await tokenState(sim, second['access_token']), 0);

    sim.clock.advance(7_200_000);
    assert.equal(await tokenState(sim, second['access_token']), 42001);
    assert.equal(await tokenState(sim, ''), 41001);

    assertWxError(
      await sim.get('/cgi-bin/token', { grant_type: 'x', appid: APP_A.appid, secret: APP_A.secret }),
      40002,
      'invalid grant_type',
    );
    assertWxError(await basic(sim, { ...APP_A, secret: 'wrong' }), 40125, 'invalid appsecret');
  } finally {
    await sim.close();
  }
});

test('stable_token: the same token during its life, renewed in its last 5 minutes or on force_refresh', async () => {
  const sim = await startSim({ apps: [APP_A] });
  try {
    const first = await stable(sim);
    assert.equal(first['expires_in'], 7200);
    sim.clock.advance(100_000);
    const same = await stable(sim);
    assert.equal(same['access_token'], first['access_token']);
    assert.equal(same['expires_in'], 7100);

    // Fetching a basic token retires nothing of the stable kind.
    await basic(sim);
    await basic(sim);
    sim.clock.advance(300_000);
    assert.equal(await tokenState(sim, first['access_token']), 0);

    sim.clock.advance(7_200_000 - 400_000 - 300_000); // 300 s left
    const renewed = await stable(sim);
    assert.notEqual(renewed['access_token'], first['access_token']);
    assert.equal(await tokenState(sim, first['access_token']), 0, 'the old one lives out its time');

    const forced = await stable(sim, { force_refresh: true });
    assert.notEqual(forced['access_token'], renewed['access_token']);
    sim.clock.advance(300_000);
    assert.equal(await tokenState(sim, renewed['access_token']), 40001);
    assert.equal(await tokenState(sim, forced['access_token']), 0);

    assertWxError(
      (await sim.post('/cgi-bin/stable_token', undefined, '{nope')).body,
      47001,
      'data format error',
    );
    const plain = await fetch(`${sim.url}/cgi-bin/stable_token`, {
      method: 'POST',
      body: JSON.stringify({ grant_type: 'client_credential', ...APP_A }),
    });
    assert.equal(
      ((await plain.json()) as Record<string, unknown>)['access_token'],
      forced['access_token'],
      'no content-type needed, as on WeChat',
    );
    assertWxError(await stable(sim, { secret: '' }), 41004, 'appsecret missing');
  } finally {
    await sim.close();
  }
});

test('phone number: a single-use 5-minute code bound to the app, exchanged with a token', async () => {
  const sim = await startSim({ apps: [APP_A, APP_B] });
  try {
    const token = String((await basic(sim))['access_token']);
    const tokenB = String((await basic(sim, APP_B))['access_token']);
    const { openid } = await sim.login();
    const { status, body } = await sim.post('/sim/phonenumber', { openid, phoneNumber: '13800138000' });
    assert.equal(status, 200);
    assert.equal(body['openid'], openid);
    const code = String(body['code']);
    const exchange = (t: string, payload: Record<string, unknown>) =>
      sim.post(`/wxa/business/getuserphonenumber?access_token=${t}`, payload).then((r) => r.body);

    assertWxError(await exchange('bad-token', { code }), 40001, 'invalid credential');
    assertWxError(await exchange(tokenB, { code }), 40029, 'invalid code');
    assertWxError(await exchange(token, { code, openid: 'oother' }), 40029, 'invalid code');
    assert.deepEqual(await exchange(token, { code, openid }), {
      errcode: 0,
      errmsg: 'ok',
      phone_info: {
        phoneNumber: '13800138000',
        purePhoneNumber: '13800138000',
        countryCode: '86',
        watermark: { timestamp: Math.floor(sim.clock.now / 1000), appid: APP_A.appid },
      },
    });
    assertWxError(await exchange(token, { code }), 40029, 'invalid code');

    const late = String((await sim.post('/sim/phonenumber', { openid })).body['code']);
    sim.clock.advance(5 * 60_000);
    assertWxError(await exchange(token, { code: late }), 40029, 'invalid code');
    assertWxError(
      (await sim.post(`/wxa/business/getuserphonenumber?access_token=${token}`, undefined, 'code=1')).body,
      47001,
      'data format error',
    );

    // A user made by /sim/phonenumber alone gets a mainland number.
    const fresh = String((await sim.post('/sim/phonenumber', {})).body['code']);
    const info = (await exchange(token, { code: fresh }))['phone_info'] as Record<string, unknown>;
    assert.match(String(info['phoneNumber']), /^1\d{10}$/);
  } finally {
    await sim.close();
  }
});
