import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '@hutong/core/testing';
import { LiveNodes } from '../../src/brokers/live-nodes.js';
import { PresenceCache, type PresenceChange } from '../../src/brokers/presence-cache.js';

const sorted = (nodes: ReadonlySet<string> | undefined) => (nodes ? [...nodes].sort() : undefined);
const enter = (userId: string, nodeId: string): PresenceChange => ({ userId, nodeId, present: true });
const leave = (userId: string, nodeId: string): PresenceChange => ({ userId, nodeId, present: false });

/** A trusted cache on a manual clock, holding what was read: `nodes` per user. */
function cacheWith(nodes: Record<string, string[]>, options: { ttlMs?: number; maxEntries?: number } = {}) {
  const clock = new ManualClock(0);
  const cache = new PresenceCache({ ...options, now: clock.now });
  cache.trust();
  const users = Object.keys(nodes);
  cache.endRead(cache.beginRead(users), new Map(Object.entries(nodes)));
  return { cache, clock };
}

describe('PresenceCache', () => {
  it('answers what was read, "nowhere" included, and keeps it current with the news', () => {
    const { cache } = cacheWith({ u: ['a'], offline: [] });
    assert.deepEqual(sorted(cache.get('u')), ['a']);
    assert.deepEqual(sorted(cache.get('offline')), [], 'nowhere is an answer: no read per message');
    assert.equal(cache.get('never-read'), undefined);
    cache.apply(enter('u', 'b'));
    cache.apply(leave('u', 'a'));
    cache.apply(enter('offline', 'c'));
    cache.apply(enter('never-read', 'c'));
    assert.deepEqual(sorted(cache.get('u')), ['b']);
    assert.deepEqual(sorted(cache.get('offline')), ['c']);
    assert.equal(
      cache.get('never-read'),
      undefined,
      'news alone does not make an entry: other nodes unknown',
    );
  });

  it('an entry is read again once it is ttlMs old', () => {
    const { cache, clock } = cacheWith({ u: ['a'] }, { ttlMs: 1000 });
    clock.advance(999);
    assert.deepEqual(sorted(cache.get('u')), ['a']);
    clock.advance(1);
    assert.equal(cache.get('u'), undefined);
    assert.equal(cache.size, 0);
  });

  it('keeps at most maxEntries, evicting the oldest read; a read again is young again', () => {
    const { cache, clock } = cacheWith({ u1: ['a'], u2: ['a'], u3: ['a'] }, { maxEntries: 3 });
    clock.advance(10);
    cache.endRead(cache.beginRead(['u1']), new Map([['u1', ['b']]]));
    cache.endRead(cache.beginRead(['u4']), new Map());
    assert.equal(cache.size, 3);
    assert.equal(cache.get('u2'), undefined, 'the oldest read went');
    assert.deepEqual(sorted(cache.get('u1')), ['b']);
    assert.deepEqual(sorted(cache.get('u3')), ['a']);
    assert.deepEqual(sorted(cache.get('u4')), []);
  });

  it('changes heard while a read is in flight are applied after its snapshot', () => {
    const { cache } = cacheWith({});
    const read = cache.beginRead(['u', 'v']);
    // Heard before the answer: b entered then left u (the snapshot may or may not show it), c entered v.
    cache.apply(enter('u', 'b'));
    cache.apply(leave('u', 'b'));
    cache.apply(enter('v', 'c'));
    cache.apply(enter('elsewhere', 'c'));
    const answer = cache.endRead(
      read,
      new Map([
        ['u', ['a', 'b']],
        ['v', []],
      ]),
    );
    assert.deepEqual(sorted(answer.get('u')), ['a']);
    assert.deepEqual(sorted(answer.get('v')), ['c']);
    assert.deepEqual(sorted(cache.get('u')), ['a']);
    assert.deepEqual(sorted(cache.get('v')), ['c']);
    cache.apply(leave('v', 'c'));
    assert.deepEqual(sorted(cache.get('v')), [], 'after the read, news goes to the entry');
  });

  it('forget drops an entry, and a read in flight across it answers without caching it', () => {
    const { cache } = cacheWith({ u: ['a'], v: ['a'] });
    cache.forget('u');
    assert.equal(cache.get('u'), undefined);
    assert.deepEqual(sorted(cache.get('v')), ['a']);
    const across = cache.beginRead(['u', 'w']);
    cache.forget('u');
    const answer = cache.endRead(
      across,
      new Map([
        ['u', ['b']],
        ['w', ['b']],
      ]),
    );
    assert.deepEqual(sorted(answer.get('u')), ['b']);
    assert.equal(cache.get('u'), undefined, 'read before the forget: not kept');
    assert.deepEqual(sorted(cache.get('w')), ['b']);
    cache.endRead(cache.beginRead(['u']), new Map([['u', ['c']]]));
    assert.deepEqual(sorted(cache.get('u')), ['c'], 'a read begun after it is kept');
  });

  it('a failed read caches nothing and keeps nothing', () => {
    const { cache } = cacheWith({});
    const read = cache.beginRead(['u']);
    cache.abortRead(read);
    cache.apply(enter('u', 'a'));
    assert.equal(cache.get('u'), undefined);
    assert.deepEqual(read.heard.get('u'), [], 'an aborted read hears no more');
  });

  it('distrust forgets every entry; reads across it answer but are not kept; nothing is kept until trust', () => {
    const { cache } = cacheWith({ u: ['a'] });
    const across = cache.beginRead(['v']);
    cache.distrust();
    assert.equal(cache.get('u'), undefined);
    assert.deepEqual(sorted(cache.endRead(across, new Map([['v', ['b']]])).get('v')), ['b']);
    assert.equal(cache.get('v'), undefined, 'news may have been lost during that read');
    cache.endRead(cache.beginRead(['w']), new Map([['w', ['b']]]));
    assert.equal(cache.get('w'), undefined, 'not kept while distrusted');
    cache.trust();
    cache.endRead(cache.beginRead(['w']), new Map([['w', ['b']]]));
    assert.deepEqual(sorted(cache.get('w')), ['b']);
  });

  it('nothing is kept before the first trust (not yet subscribed)', () => {
    const cache = new PresenceCache({ now: new ManualClock(0).now });
    cache.endRead(cache.beginRead(['u']), new Map([['u', ['a']]]));
    assert.equal(cache.get('u'), undefined);
  });
});

describe('LiveNodes', () => {
  it('a refreshed node is live until its key would expire, counted from when the read was sent', () => {
    const clock = new ManualClock(1000);
    const live = new LiveNodes({ nodeTtlMs: 900, now: clock.now });
    live.refresh(new Map([['a', 600]]), 900);
    assert.equal(live.isLive('a'), true);
    assert.equal(live.isLive('unknown'), false);
    clock.set(1499);
    assert.equal(live.isLive('a'), true);
    clock.set(1500);
    assert.equal(live.isLive('a'), false, 'the key expired at 900 + 600 at the latest');
    assert.deepEqual(live.list(), []);
  });

  it('announcements: up is live for a node TTL, down is gone at once', () => {
    const clock = new ManualClock(0);
    const live = new LiveNodes({ nodeTtlMs: 900, now: clock.now });
    live.up('a');
    assert.deepEqual(live.list(), ['a']);
    live.down('a');
    assert.equal(live.isLive('a'), false);
    live.up('b');
    clock.advance(900);
    assert.equal(live.isLive('b'), false, 'an up that no refresh confirms ends with the TTL');
  });

  it('a refresh sent before an announcement does not undo it; one sent after replaces it', () => {
    const clock = new ManualClock(0);
    const live = new LiveNodes({ nodeTtlMs: 900, now: clock.now });
    live.refresh(new Map([['old', 900]]), 0);
    clock.set(100);
    live.up('new');
    live.down('old');
    // A refresh sent at 50 (before both announcements) arrives now: it knows neither.
    clock.set(150);
    live.refresh(new Map([['old', 800]]), 50);
    assert.deepEqual(live.list(), ['new']);
    // One sent at 200 (after them) is the truth: `new` died meanwhile, `old` came back.
    clock.set(250);
    live.refresh(new Map([['old', 900]]), 200);
    assert.deepEqual(live.list(), ['old']);
  });
});
