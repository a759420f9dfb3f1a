import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../src/http/server.js';
import { type AuthFixture, startAuth, testApp } from './fixtures.js';

describe('Wafer 1 auth server API at /auth', () => {
  let f: AuthFixture;
  let app: FastifyInstance;
  let url: string;
  before(async () => {
    f = await startAuth();
    app = createHttpServer({ auth: f.auth });
    url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/auth`;
  });
  after(async () => {
    await app.close();
    await f.close();
  });

  const call = async (
    body: string | object,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    assert.equal(response.status, 200, 'the auth API always answers HTTP 200');
    return (await response.json()) as { returnCode: number; returnMessage: string; returnData: any };
  };
  const envelope = (interfaceName: string, para?: object) => ({
    version: 1,
    componentName: 'MA',
    interface: { interfaceName, ...(para ? { para } : {}) },
  });

  test('qcloud.cam.id_skey with encrypt_data + iv, then qcloud.cam.auth', async () => {
    const { code, openid } = await f.sim.login();
    const data = await f.sim.userInfo(code, { userInfo: { nickName: 'W1', avatarUrl: 'a' } });
    const login = await call(
      envelope('qcloud.cam.id_skey', { code, encrypt_data: data.encryptedData, iv: data.iv }),
    );
    assert.equal(login.returnCode, 0);
    assert.equal(login.returnMessage, 'NEW_SESSION_SUCCESS');
    const { id, skey, user_info, duration } = login.returnData;
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(typeof skey, 'string');
    assert.equal(user_info.openId, openid);
    assert.equal(user_info.watermark.appid, testApp.appid);
    assert.ok(duration > 0);
    const check = await call(envelope('qcloud.cam.auth', { id, skey }));
    assert.equal(check.returnCode, 0);
    assert.equal(check.returnMessage, 'AUTH_SUCCESS');
    assert.equal(check.returnData.user_info.openId, openid);
    assert.equal(check.returnData.user_info.nickName, 'W1');
  });

  test('id_skey without iv uses the 2016 algorithm; a second login says UPDATE_SESSION_SUCCESS', async () => {
    const { code, openid } = await f.sim.login();
    const data = await f.sim.userInfo(code, { userInfo: { nickName: 'Legacy', avatarUrl: 'a' } });
    const login = await call(envelope('qcloud.cam.id_skey', { code, encrypt_data: data.encryptData }));
    assert.equal(login.returnCode, 0);
    assert.equal(login.returnData.user_info.nickName, 'Legacy');
    const again = await call(envelope('qcloud.cam.id_skey', { code: (await f.sim.login({ openid })).code }));
    assert.equal(again.returnMessage, 'UPDATE_SESSION_SUCCESS');
    assert.equal(again.returnData.id, login.returnData.id);
  });

  test('unknown, forged or mismatched sessions are 60012', async () => {
    const { code } = await f.sim.login();
    const { returnData } = await call(envelope('qcloud.cam.id_skey', { code }));
    for (const para of [
      { id: returnData.id, skey: 'forged' },
      { id: 'f'.repeat(32), skey: returnData.skey },
      { id: '', skey: '' },
      { skey: returnData.skey },
    ]) {
      const check = await call(envelope('qcloud.cam.auth', para));
      assert.equal(check.returnCode, 60012, JSON.stringify(para));
      assert.equal(check.returnData, '');
    }
  });

  test('bad requests get the Wafer return codes', async () => {
    const cases: [string | object, number][] = [
      ['{not json', 1009],
      ['', 1009],
      [{ version: 1, componentName: 'MA', interface: {} }, 1002],
      [envelope('qcloud.cam.nope', {}), 1010],
      [envelope('qcloud.cam.id_skey'), 1011],
      [envelope('qcloud.cam.id_skey', { code: '' }), 1003],
      [envelope('qcloud.cam.id_skey', { code: 'no-such-code' }), 40029],
      [{ interface: 'x' }, 1003],
      [[1, 2], 1003],
    ];
    for (const [body, returnCode] of cases) {
      const reply = await call(body);
      assert.equal(reply.returnCode, returnCode, JSON.stringify(body));
      assert.equal(typeof reply.returnMessage, 'string');
    }
  });

  test('undecryptable encrypt_data is 60021 and creates no user', async () => {
    const { code, openid } = await f.sim.login();
    const reply = await call(
      envelope('qcloud.cam.id_skey', {
        code,
        encrypt_data: 'Zm9vYmFyYmF6cXV4cXV1eA==',
        iv: 'r7BXXKkLb8qrSNn05n0qiA==',
      }),
    );
    assert.equal(reply.returnCode, 60021);
    assert.equal(await f.store.getUser(testApp.appid, openid), null);
  });

  test('any content type is read as JSON; an oversized body is refused with 1003', async () => {
    const { code } = await f.sim.login();
    const plain = await call(envelope('qcloud.cam.id_skey', { code }), { 'content-type': 'text/plain' });
    assert.equal(plain.returnCode, 0);
    const huge = await call(envelope('qcloud.cam.id_skey', { code: 'x', encrypt_data: 'A'.repeat(100_000) }));
    assert.equal(huge.returnCode, 1003);
  });

  test('the server keeps serving after bad input', async () => {
    await call('{{{{');
    const { code } = await f.sim.login();
    assert.equal((await call(envelope('qcloud.cam.id_skey', { code }))).returnCode, 0);
  });
});

describe('/auth: the per-address login limit and the business-server list', () => {
  const login = (url: string, code: string) =>
    fetch(`${url}/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        version: 1,
        componentName: 'MA',
        interface: { interfaceName: 'qcloud.cam.id_skey', para: { code } },
      }),
    }).then((r) => r.json() as Promise<{ returnCode: number; returnMessage: string }>);

  test('garbage codes from one address are limited before they reach WeChat', async () => {
    const f = await startAuth({ loginRatePerIp: { limit: 3, windowMs: 60_000 } });
    const app = createHttpServer({ auth: f.auth });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const answers = [];
      for (let i = 0; i < 5; i += 1) answers.push(await login(url, `garbage-${i}`));
      assert.deepEqual(
        answers.map((a) => a.returnMessage.split(':')[0]),
        [
          'ERR_WX_CODE_INVALID',
          'ERR_WX_CODE_INVALID',
          'ERR_WX_CODE_INVALID',
          'ERR_RATE_LIMITED',
          'ERR_RATE_LIMITED',
        ],
      );
      assert.equal(f.auth.logins.get('ERR_RATE_LIMITED'), 2);
    } finally {
      await app.close();
      await f.close();
    }
  });

  test('listed business servers skip the address limit; others are refused', async () => {
    const f = await startAuth({ loginRatePerIp: { limit: 1, windowMs: 60_000 } });
    const listedApp = createHttpServer({ auth: f.auth, authCallers: ['127.0.0.0/8'] });
    const otherApp = createHttpServer({ auth: f.auth, authCallers: ['10.1.2.3'] });
    const listed = await listedApp.listen({ port: 0, host: '127.0.0.1' });
    const other = await otherApp.listen({ port: 0, host: '127.0.0.1' });
    try {
      for (let i = 0; i < 3; i += 1) {
        const { code } = await f.sim.login();
        assert.equal((await login(listed, code)).returnCode, 0, 'many users behind one business server');
      }
      const { code } = await f.sim.login();
      const refused = await login(other, code);
      assert.equal(refused.returnCode, 1003);
      assert.match(refused.returnMessage, /^ERR_FORBIDDEN/);
    } finally {
      await listedApp.close();
      await otherApp.close();
      await f.close();
    }
  });
});
