/**
 * The one test suite every SessionStore passes. `factory` returns a fresh, isolated, not yet
 * initialised store and a `cleanup` that removes whatever it stored; the suite closes the store
 * before calling `cleanup`. Times are real (`Date.now()`) because Redis expires keys by the clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SessionStore } from '../index.js';
import { handles, randomHex as hex, leaked, login, sessionOf } from './store-fixtures.js';
import { eventually } from './until.js';

export interface StoreUnderTest {
  store: SessionStore;
  cleanup(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreUnderTest>;

export function sessionStoreSuite(
  name: string,
  factory: StoreFactory,
  options: { skip?: string | false } = {},
) {
  describe(`SessionStore: ${name}`, { skip: options.skip ?? false }, () => {
    let store: SessionStore;
    let cleanup: () => Promise<void>;
    const newUser = (now = Date.now()) => store.upsertUser(login(), now);

    before(async () => {
      ({ store, cleanup } = await factory());
      await store.init();
    });
    after(async () => {
      await store?.close();
      await cleanup?.();
    });

    it('init twice is idempotent', async () => {
      await store.init();
      await store.init();
      await store.ping();
      assert.ok(await newUser());
    });

    it('upsertUser creates, then updates keeping the id and createdAt', async () => {
      const who = login();
      const created = await store.upsertUser({ ...who, unionid: 'u1' }, 1000);
      assert.match(created.id, /^[0-9a-f]{32}$/);
      assert.deepEqual(created, {
        id: created.id,
        ...who,
        unionid: 'u1',
        profile: null,
        phoneNumber: null,
        createdAt: 1000,
        updatedAt: 1000,
      });
      const updated = await store.upsertUser({ ...who, unionid: 'u2', phoneNumber: '+8613800000000' }, 2000);
      assert.deepEqual(updated, {
        ...created,
        unionid: 'u2',
        phoneNumber: '+8613800000000',
        updatedAt: 2000,
      });
      assert.deepEqual(await store.getUser(who.appid, who.openid), updated);
      assert.deepEqual(await store.getUserById(created.id), updated);
    });

    it('upsertUser: undefined keeps a stored field, null clears it', async () => {
      const who = login();
      const profile = { nickName: '小明 🐉', gender: 1, city: 'Hangzhou', extra: { nested: [1, 'x'] } };
      await store.upsertUser({ ...who, unionid: 'u', profile, phoneNumber: '123' }, 1);
      const kept = await store.upsertUser(who, 2);
      assert.equal(kept.unionid, 'u');
      assert.deepEqual(kept.profile, profile);
      assert.equal(kept.phoneNumber, '123');
      const cleared = await store.upsertUser({ ...who, unionid: null, profile: null }, 3);
      assert.deepEqual([cleared.unionid, cleared.profile, cleared.phoneNumber], [null, null, '123']);
      assert.deepEqual(await store.getUser(who.appid, who.openid), cleared);
    });

    it('unknown users are null; openids differing in case are different users', async () => {
      const who = login();
      assert.equal(await store.getUser(who.appid, who.openid), null);
      assert.equal(await store.getUserById(hex(16)), null);
      const lower = await store.upsertUser({ appid: who.appid, openid: 'oabc' }, 1);
      const upper = await store.upsertUser({ appid: who.appid, openid: 'oABC' }, 1);
      assert.notEqual(lower.id, upper.id);
      assert.equal((await store.getUser(who.appid, 'oABC'))?.id, upper.id);
    });

    it('concurrent upserts of one user yield one id', async () => {
      const who = login();
      const users = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.upsertUser({ ...who, profile: { nickName: `n${i}` } }, 1000 + i),
        ),
      );
      const ids = new Set(users.map((user) => user.id));
      assert.equal(ids.size, 1);
      assert.equal((await store.getUser(who.appid, who.openid))?.id, users[0]?.id);
    });

    it('createSession, then getSession returns the session and its user', async () => {
      const now = Date.now();
      const user = await store.upsertUser({ ...login(), profile: { nickName: 'n' } }, now);
      const session = sessionOf(user, now);
      await store.createSession(session, { replaceUserSessions: false });
      assert.deepEqual(await store.getSession(session.skey, now), { session, user });
      assert.equal(await store.getSession(hex(32), now), null);
    });

    it('sessions past their absolute expiry are invisible', async () => {
      const now = Date.now();
      const session = sessionOf(await newUser(now), now, { expiresAt: now + 60_000 });
      await store.createSession(session, { replaceUserSessions: false });
      assert.ok(await store.getSession(session.skey, now + 59_999));
      assert.equal(await store.getSession(session.skey, now + 60_000), null);
      assert.deepEqual(await store.listUserSessions(session.userId, now + 60_000), []);
    });

    it('sessions past their idle expiry are invisible; touchSession slides it', async () => {
      const now = Date.now();
      const session = sessionOf(await newUser(now), now, { idleExpiresAt: now + 10_000 });
      await store.createSession(session, { replaceUserSessions: false });
      assert.equal(await store.getSession(session.skey, now + 10_000), null);
      await store.touchSession(session.skey, now + 9_000, now + 19_000);
      const touched = await store.getSession(session.skey, now + 18_999);
      assert.deepEqual(touched?.session, {
        ...session,
        lastSeenAt: now + 9_000,
        idleExpiresAt: now + 19_000,
      });
      assert.equal(await store.getSession(session.skey, now + 19_000), null);
    });

    it('touchSession leaves expired and missing sessions alone', async () => {
      const now = Date.now();
      const session = sessionOf(await newUser(now), now, { idleExpiresAt: now + 10_000 });
      await store.createSession(session, { replaceUserSessions: false });
      await store.touchSession(session.skey, now + 10_000, now + 20_000);
      assert.equal(await store.getSession(session.skey, now + 15_000), null);
      assert.deepEqual((await store.getSession(session.skey, now))?.session, session);
      await store.touchSession(hex(32), now, now + 20_000);
    });

    it('deleteSession removes one session and says whether it existed', async () => {
      const now = Date.now();
      const user = await newUser(now);
      const [a, b] = [sessionOf(user, now), sessionOf(user, now)];
      await store.createSession(a, { replaceUserSessions: false });
      await store.createSession(b, { replaceUserSessions: false });
      assert.equal(await store.deleteSession(a.skey), true);
      assert.equal(await store.deleteSession(a.skey), false);
      assert.equal(await store.getSession(a.skey, now), null);
      assert.deepEqual(await store.listUserSessions(user.id, now), [b]);
    });

    it('replaceUserSessions leaves exactly one session of that user, even when concurrent', async () => {
      const now = Date.now();
      const [user, other] = [await newUser(now), await newUser(now)];
      const others = sessionOf(other, now);
      await store.createSession(others, { replaceUserSessions: false });
      for (let i = 0; i < 3; i++)
        await store.createSession(sessionOf(user, now), { replaceUserSessions: false });
      const last = sessionOf(user, now + 1);
      await store.createSession(last, { replaceUserSessions: true });
      assert.deepEqual(await store.listUserSessions(user.id, now), [last]);
      assert.deepEqual(await store.listUserSessions(other.id, now), [others]);

      const racing = Array.from({ length: 8 }, (_, i) => sessionOf(user, now + 10 + i));
      await Promise.all(racing.map((s) => store.createSession(s, { replaceUserSessions: true })));
      const left = await store.listUserSessions(user.id, now);
      assert.equal(left.length, 1);
      assert.ok(racing.some((s) => s.skey === left[0]?.skey));
    });

    it('deleteUserSessions removes all sessions of one user and counts them', async () => {
      const now = Date.now();
      const [user, other] = [await newUser(now), await newUser(now)];
      await store.createSession(sessionOf(user, now), { replaceUserSessions: false });
      await store.createSession(sessionOf(user, now), { replaceUserSessions: false });
      const others = sessionOf(other, now);
      await store.createSession(others, { replaceUserSessions: false });
      assert.equal(await store.deleteUserSessions(user.id), 2);
      assert.equal(await store.deleteUserSessions(user.id), 0);
      assert.deepEqual(await store.listUserSessions(user.id, now), []);
      assert.deepEqual(await store.listUserSessions(other.id, now), [others]);
    });

    it('listUserSessions returns live sessions, newest first', async () => {
      const now = Date.now();
      const user = await newUser(now);
      const sessions = [3, 1, 2].map((age) => sessionOf(user, now - age * 1000));
      const expired = sessionOf(user, now - 500, { idleExpiresAt: now + 100 });
      for (const s of [...sessions, expired]) await store.createSession(s, { replaceUserSessions: false });
      const listed = await store.listUserSessions(user.id, now + 100);
      assert.deepEqual(
        listed.map((s) => s.createdAt),
        [now - 1000, now - 2000, now - 3000],
      );
      assert.deepEqual(await store.listUserSessions(hex(16), now), []);
    });

    it('purgeExpired deletes expired sessions and keeps live ones', async () => {
      const now = Date.now();
      await store.purgeExpired(now + 5_000);
      const user = await newUser(now);
      const liveOne = sessionOf(user, now);
      const byAbsolute = sessionOf(user, now, { expiresAt: now + 1_000 });
      const byIdle = sessionOf(user, now, { idleExpiresAt: now + 2_000 });
      for (const s of [liveOne, byAbsolute, byIdle])
        await store.createSession(s, { replaceUserSessions: false });
      const purged = await store.purgeExpired(now + 5_000);
      // Redis expires keys by TTL and has nothing to purge.
      assert.ok(purged === 2 || (purged === 0 && store.kind === 'redis'), `purged ${purged}`);
      assert.deepEqual(await store.listUserSessions(user.id, now + 5_000), [liveOne]);
      assert.equal(await store.getSession(byIdle.skey, now + 5_000), null);
    });

    it('close() releases every handle it opened', async () => {
      const before = handles();
      const second = await factory();
      await second.store.init();
      const now = Date.now();
      const user = await second.store.upsertUser(login(), now);
      const session = sessionOf(user, now);
      await second.store.createSession(session, { replaceUserSessions: true });
      assert.ok(await second.store.getSession(session.skey, now));
      await second.store.close();
      // Sockets finish closing a few ticks after close() resolves.
      await eventually(() => assert.deepEqual(leaked(before), []), { timeoutMs: 1000, intervalMs: 20 });
      await second.cleanup();
    });
  });
}
