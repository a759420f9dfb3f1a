import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../src/http/server.js';
import { type AuthFixture, startAuth } from './fixtures.js';

describe('Hutong JSON API at /api/v1', () => {
  let f: AuthFixture;
  let app: FastifyInstance;
  let base: string;
  before(async () => {
    f = await startAuth();
    app = createHttpServer({ auth: f.auth });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app.close();
    await f.close();
  });

  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  test('login, session, profile, phone, logout', async () => {
    const { code, openid } = await f.sim.login();
    const data = await f.sim.userInfo(code, { userInfo: { nickName: 'API', avatarUrl: 'a' } });
    const login = await api('POST', '/api/v1/login', {
      code,
      encryptedData: data.encryptedData,
      iv: data.iv,
    });
    assert.equal(login.status, 200);
    assert.equal(login.body.user.openId, openid);
    assert.equal(login.body.userInfo.nickName, 'API');
    assert.equal(login.body.sessionKey, undefined, 'session_key never leaves the server');
    assert.ok(!JSON.stringify(login.body).includes('session_key'));
    const bearer = { authorization: `Bearer ${login.body.skey}` };

    const session = await api('GET', '/api/v1/session', undefined, bearer);
    assert.equal(session.status, 200);
    assert.equal(session.body.user.id, login.body.user.id);
    const viaHeader = await api('GET', '/api/v1/session', undefined, { 'x-wx-skey': login.body.skey });
    assert.equal(viaHeader.status, 200);

    const profile = await api(
      'PUT',
      '/api/v1/profile',
      { profile: { nickName: '新名字', avatarUrl: 'https://a/b' } },
      bearer,
    );
    assert.equal(profile.body.user.profile.nickName, '新名字');

    const phone = await api('POST', '/api/v1/phone', { code: await f.sim.phoneCode(openid) }, bearer);
    assert.equal(phone.status, 200);
    assert.ok(phone.body.user.phoneNumber);

    assert.equal((await api('DELETE', '/api/v1/session', undefined, bearer)).status, 204);
    const gone = await api('GET', '/api/v1/session', undefined, bearer);
    assert.equal(gone.status, 401);
    assert.equal(gone.body.error.code, 'ERR_SESSION_INVALID');
  });

  test('bad input: typed errors with HTTP statuses, nothing stored', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/api/v1/login', '{oops', 400, 'ERR_NOT_JSON'],
      ['POST', '/api/v1/login', {}, 400, 'ERR_BAD_REQUEST'],
      ['POST', '/api/v1/login', { code: 'nope' }, 400, 'ERR_WX_CODE_INVALID'],
      ['POST', '/api/v1/login', { code: 'x'.repeat(300) }, 400, 'ERR_BAD_REQUEST'],
      ['POST', '/api/v1/login', { code: 'x', rawData: '{}' }, 400, 'ERR_HEADER_MISSING'],
      [
        'POST',
        '/api/v1/login',
        { code: 'x', encryptedData: 'A'.repeat(70_000) },
        413,
        'ERR_PAYLOAD_TOO_LARGE',
      ],
      ['GET', '/api/v1/session', undefined, 401, 'ERR_SESSION_INVALID'],
      ['GET', '/api/v1/nowhere', undefined, 404, 'ERR_NOT_FOUND'],
      ['PUT', '/api/v1/profile', { profile: { nickName: 'x' } }, 401, 'ERR_SESSION_INVALID'],
      ['POST', '/api/v1/phone', { code: 'x' }, 401, 'ERR_SESSION_INVALID'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const reply = await api(method, path, body);
      assert.equal(reply.status, status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 40)}`);
      assert.equal(reply.body.error.code, code);
      assert.equal(typeof reply.body.error.message, 'string');
    }
  });

  test('a request head over the limit is refused by the server, which keeps serving', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        `${base}/api/v1/session`,
        { headers: { 'x-wx-skey': 'a'.repeat(40_000) } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 431);
    const tooLongHeader = await api('GET', '/api/v1/session', undefined, { 'x-wx-skey': 'a'.repeat(20_000) });
    assert.equal(tooLongHeader.status, 413);
    assert.equal((await api('GET', '/healthz')).status, 200);
  });

  test('/healthz and /readyz', async () => {
    assert.deepEqual((await api('GET', '/healthz')).body, { ok: true });
    assert.deepEqual((await api('GET', '/readyz')).body, { ok: true });
  });
});
