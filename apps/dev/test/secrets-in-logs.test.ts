/**
 * session_key, skeys, login codes and the app secret never reach a log line, even at trace level
 * and on error paths.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '@hutong/server';
import { devApp, startDevStack } from '../src/stack.js';
import { simDevice } from './stack-fixture.js';

test('secrets stay out of the logs', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const stack = await startDevStack({
    env: { PORT: '0', HUTONG_STORE_URL: ':memory:', HUTONG_LOGIN_RATE_PER_IP: '0' },
    logger: createLogger('trace', sink),
  });
  const secrets: string[] = [devApp.secret];
  try {
    const sim = (path: string, body: object) => simDevice(stack, path, body);
    for (let i = 0; i < 3; i += 1) {
      const { code, openid } = await sim('login', {});
      const data = await sim('userinfo', { code });
      secrets.push(code!, data['encryptedData']!, data['iv']!);
      const login = await fetch(`${stack.url}/weapp/login`, {
        headers: {
          'x-wx-code': code!,
          'x-wx-encrypted-data': data['encryptedData']!,
          'x-wx-iv': data['iv']!,
        },
      });
      const { data: session } = (await login.json()) as { data: { skey: string } };
      secrets.push(session.skey);
      await fetch(`${stack.url}/weapp/user`, { headers: { 'x-wx-skey': session.skey } });
      await fetch(`${stack.url}/api/v1/session`, { headers: { authorization: `Bearer ${session.skey}` } });
      // Error paths: a reused code, a forged skey, garbage on /auth.
      await fetch(`${stack.url}/weapp/login`, { headers: { 'x-wx-code': code! } });
      await fetch(`${stack.url}/weapp/user`, { headers: { 'x-wx-skey': `${session.skey}x` } });
      await fetch(`${stack.url}/auth`, {
        method: 'POST',
        body: `{"interface":{"interfaceName":"qcloud.cam.auth","para":{"id":"x","skey":"${session.skey}"}}}`,
      });
      const { user } = await stack.hutong.auth.check(session.skey);
      for (const s of await stack.hutong.store.listUserSessions(user.id, Date.now()))
        secrets.push(s.sessionKey);
      assert.ok(openid);
    }
  } finally {
    await stack.close();
  }
  const log = lines.join('');
  assert.ok(lines.length > 10, 'requests were logged');
  assert.match(log, /"url":"\/weapp\/user"/, 'requests are in the log');
  for (const secret of secrets) {
    assert.ok(secret.length >= 8);
    assert.equal(log.includes(secret), false, `a secret reached the log: ${secret.slice(0, 4)}…`);
  }
});
