/**
 * X-Forwarded-For counts only from a trusted proxy (HUTONG_TRUST_PROXY): behind one, each client
 * address has its own login limit; from anyone else the header is ignored, so it cannot be used
 * to dodge the limit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/config.js';
import { createHutong, type Hutong } from '../src/hutong.js';
import { testEnv } from './fixtures.js';

const start = async (trustProxy?: string) => {
  const hutong = await createHutong(
    loadConfig(
      testEnv({
        HUTONG_LOGIN_RATE_PER_IP: '1',
        // Nothing listens here: a login that passes the limit fails at WeChat instead (not a 429).
        HUTONG_WECHAT_API_URL: 'http://127.0.0.1:9',
        HUTONG_WECHAT_TIMEOUT_MS: '200',
        ...(trustProxy ? { HUTONG_TRUST_PROXY: trustProxy } : {}),
      }),
    ),
    { purgeIntervalMs: 0 },
  );
  await hutong.listen();
  return hutong;
};

const login = (hutong: Hutong, forwardedFor: string) =>
  fetch(`${hutong.publicUrl}/api/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ code: 'any-code' }),
  }).then((response) => response.status);

describe('trusted proxy', () => {
  let trusting: Hutong;
  let plain: Hutong;
  before(async () => {
    trusting = await start('127.0.0.1');
    plain = await start();
  });
  after(async () => {
    await trusting.close();
    await plain.close();
  });

  test('behind the trusted proxy each forwarded address has its own limit', async () => {
    assert.notEqual(await login(trusting, '203.0.113.1'), 429);
    assert.equal(await login(trusting, '203.0.113.1'), 429, 'the same client again');
    assert.notEqual(await login(trusting, '203.0.113.2'), 429, 'another client behind the proxy');
  });

  test('from an untrusted peer the header is ignored: a new X-Forwarded-For does not reset the limit', async () => {
    assert.notEqual(await login(plain, '203.0.113.1'), 429);
    assert.equal(await login(plain, '203.0.113.2'), 429, 'same peer, whatever it claims');
  });
});
