/**
 * weapp-session's sessions (keyed by the login code) on every session store: the resolver behind
 * `weappSession` over an in-process AuthService with a manual clock, so the TTL is tested without
 * waiting. SQLite always; Redis, MySQL and PostgreSQL when reachable (loud skips outside CI).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CODE_SESSION_PREFIX, codeSessionKey } from '@hutong/core';
import { createWeappSession } from '@hutong/node-sdk';
import { weappSessionReasons } from '@hutong/protocol';
import { type AuthFixture, startAuth, testApp } from '../fixtures.js';
import { everyStore } from './store-factories.js';

const TTL_S = 120;

for (const [name, factory, skip] of everyStore) {
  describe(`weapp-session sessions on ${name}`, { skip }, () => {
    let f: AuthFixture;
    let cleanup: () => Promise<void>;
    let resolver: ReturnType<typeof createWeappSession>;

    before(async () => {
      const made = await factory();
      cleanup = made.cleanup;
      await made.store.init();
      f = await startAuth({ store: made.store });
      resolver = createWeappSession({ auth: f.auth, redisConfig: { ttl: TTL_S } });
    });
    after(async () => {
      await f?.close();
      await cleanup?.();
    });

    /** A phone's first request: a fresh code and the user data signed with its session_key. */
    async function firstRequest(openid?: string) {
      const { code, openid: id } = await f.sim.login({ ...(openid ? { openid } : {}), appid: testApp.appid });
      const data = await f.sim.userInfo(code, { userInfo: { nickName: name, avatarUrl: 'https://a/b.png' } });
      const headers = {
        'x-wx-code': code,
        'x-wx-rawdata': encodeURIComponent(data.rawData),
        'x-wx-signature': data.signature,
      };
      return { code, openid: id, headers };
    }
    const byCode = (code: string) => resolver.resolve({ 'x-wx-code': code });
    const reasonOf = (outcome: Awaited<ReturnType<typeof byCode>>) =>
      'error' in outcome ? outcome.error.reason : 'ok';

    it('logs in from the first request, finds the user by the code alone, keeps the verified profile', async () => {
      const p = await firstRequest();
      const first = await resolver.resolve(p.headers);
      assert.ok('user' in first && first.user);
      assert.equal(first.user.openId, p.openid);
      const later = await byCode(p.code);
      assert.ok('user' in later && later.user);
      assert.equal(later.user.openId, p.openid);
      assert.equal(later.user.nickName, name);
      assert.doesNotMatch(JSON.stringify(later), /session_?key/i, 'no session_key leaves the server');
    });

    it('stores a hash of the code, never the code itself', async () => {
      const p = await firstRequest();
      await resolver.resolve(p.headers);
      const now = f.clock.now();
      assert.equal(await f.store.getSession(p.code, now), null);
      const stored = await f.store.getSession(codeSessionKey(p.code), now);
      assert.ok(stored, 'found under codeSessionKey(code)');
      assert.ok(stored.session.skey.startsWith(CODE_SESSION_PREFIX));
      assert.ok(!stored.session.skey.includes(p.code));
    });

    it('one live code per user: a new login ends the old code, not the user’s other sessions', async () => {
      const first = await firstRequest();
      await resolver.resolve(first.headers);
      // The same user on a Wafer client too: a random skey, not a code session.
      const wafer = await f.auth.login({ code: (await f.sim.login({ openid: first.openid })).code });
      const second = await firstRequest(first.openid);
      await resolver.resolve(second.headers);
      assert.equal(reasonOf(await byCode(first.code)), weappSessionReasons.expired);
      assert.equal(reasonOf(await byCode(second.code)), 'ok');
      await f.auth.check(wafer.session.skey); // still alive
    });

    it(`expires ${TTL_S} s after login (redisConfig.ttl), however often it is used`, async () => {
      const p = await firstRequest();
      const start = f.clock.now();
      await resolver.resolve(p.headers);
      for (const at of [30, 60, 90, TTL_S - 1]) {
        f.clock.set(start + at * 1000);
        assert.equal(reasonOf(await byCode(p.code)), 'ok', `at ${at} s`);
      }
      f.clock.advance(2000);
      assert.equal(reasonOf(await byCode(p.code)), weappSessionReasons.expired);
    });
  });
}
