/**
 * The ReconnectingLink under Tunnel and the IM connection, on a platform whose timers and host
 * events the test fires by hand: backoff and at-once retries, the limit of tries, no attempt while
 * hidden or offline and one at once on coming back, a liveness check when back connected, and
 * superseded attempts ignored. Then a Tunnel following the close-code ranges.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { closeCodes } from '@hutong/protocol/close-codes';
import { createClient, type Platform, type PlatformSocket } from '../src/core/index.js';
import { ReconnectingLink } from '../src/core/reconnecting-link.js';

/** Timers and host events fired by the test; `socket(i)` drives the i-th socket opened. */
function manualPlatform() {
  const timers = new Map<number, { fn: () => void; ms: number }>();
  let nextTimer = 1;
  const host = {
    hide: [] as (() => void)[],
    show: [] as (() => void)[],
    net: [] as ((up: boolean) => void)[],
  };
  const sockets: { url: string; open?: () => void; close?: (code: number, reason: string) => void }[] = [];
  const platform: Platform = {
    request: async () => ({
      statusCode: 200,
      data: { connectUrl: 'ws://t.test/tunnel/ws?tunnelId=t' },
      header: {},
    }),
    connect: (url): PlatformSocket => {
      const entry: (typeof sockets)[number] = { url };
      sockets.push(entry);
      return {
        send: () => {},
        close: () => {},
        onOpen: (fn) => {
          entry.open = fn;
        },
        onMessage: () => {},
        onClose: (fn) => {
          entry.close = fn;
        },
        onError: () => {},
      };
    },
    storage: { get: () => undefined, set: () => {}, remove: () => {} },
    login: async () => 'code',
    onAppHide: (fn) => {
      host.hide.push(fn);
      return () => {};
    },
    onAppShow: (fn) => {
      host.show.push(fn);
      return () => {};
    },
    onNetworkChange: (fn) => {
      host.net.push(fn);
      return () => {};
    },
    setTimeout: (fn, ms) => {
      const id = nextTimer++;
      timers.set(id, { fn, ms });
      return id;
    },
    clearTimeout: (id) => void timers.delete(id as number),
  };
  return {
    platform,
    timers,
    sockets,
    /** Fires the pending timers (those set meanwhile wait for the next call). */
    fire() {
      const due = [...timers];
      timers.clear();
      for (const [, timer] of due) timer.fn();
    },
    hide: () => {
      for (const fn of host.hide) fn();
    },
    show: () => {
      for (const fn of host.show) fn();
    },
    network: (up: boolean) => {
      for (const fn of host.net) fn(up);
    },
  };
}

function link(maxTries = 3) {
  const env = manualPlatform();
  const attempts: number[] = [];
  const calls = { pause: 0, check: 0 };
  const l = new ReconnectingLink(
    env.platform,
    { reconnectDelayMs: 1000, maxReconnectDelayMs: 30_000, maxTries },
    {
      connect: (attempt) => void attempts.push(attempt),
      pause: () => {
        calls.pause += 1;
      },
      check: () => {
        calls.check += 1;
      },
    },
  );
  return { env, attempts, calls, link: l };
}

describe('ReconnectingLink', () => {
  test('backs off with jitter, at once when told, and gives up after maxTries in a row', () => {
    const { env, attempts, link: l } = link(2);
    l.start();
    assert.equal(attempts.length, 1);
    assert.equal(l.retry(), 'scheduled');
    const [first] = [...env.timers.values()];
    assert.ok(first!.ms >= 500 && first!.ms <= 1000, `first wait ${first!.ms} ms: 1 s with jitter`);
    assert.equal(l.current(attempts[0]!), false, 'the failed attempt is superseded');
    env.fire();
    assert.equal(attempts.length, 2);
    assert.equal(l.retry('reconnect-now'), 'scheduled');
    assert.equal([...env.timers.values()][0]!.ms, 0);
    env.fire();
    assert.equal(l.retry(), 'gave-up', 'two tries in a row failed');
    assert.equal(l.running, false);
    assert.equal(env.timers.size, 0);
  });

  test('a success starts the tries over', () => {
    const { env, attempts, link: l } = link(1);
    l.start();
    assert.equal(l.retry(), 'scheduled');
    env.fire();
    l.succeeded(attempts.at(-1)!);
    assert.equal(l.connected, true);
    assert.equal(l.retry(), 'scheduled', 'the limit counts failures in a row');
  });

  test('hidden or offline: no attempt; back: one at once; back connected: a liveness check', () => {
    const { env, attempts, calls, link: l } = link();
    l.start();
    env.hide();
    assert.equal(calls.pause, 1);
    assert.equal(l.retry(), 'paused');
    assert.equal(env.timers.size, 0, 'no timer while hidden');
    env.show();
    assert.equal(attempts.length, 2, 'reconnected at once');
    l.succeeded(attempts.at(-1)!);
    env.network(false);
    env.network(true);
    assert.equal(calls.check, 1, 'checked, not reconnected');
    assert.equal(attempts.length, 2);
    l.stop();
    env.show();
    assert.equal(attempts.length, 2, 'nothing after stop');
  });
});

describe('Tunnel and close codes', () => {
  async function openTunnel() {
    const env = manualPlatform();
    const tunnel = new (createClient({ platform: env.platform }).Tunnel)('http://b.test/tunnel', {
      recover: false,
    });
    const errors: number[] = [];
    tunnel.on('error', (e) => void errors.push(e.code));
    tunnel.open();
    await new Promise((resolve) => setImmediate(resolve)); // the service request
    env.sockets.at(-1)!.open!();
    assert.equal(tunnel.state, 'active');
    return { env, tunnel, errors };
  }

  test('4500–4599 (a draining node): reconnect at once', async () => {
    const { env, tunnel } = await openTunnel();
    env.sockets.at(-1)!.close!(closeCodes.draining, 'draining');
    assert.equal(tunnel.state, 'reconnecting');
    assert.deepEqual(
      [...env.timers.values()].map((t) => t.ms),
      [0],
    );
  });

  test('4000–4099 (a slow consumer): reconnect after a backoff', async () => {
    const { env, tunnel } = await openTunnel();
    env.sockets.at(-1)!.close!(closeCodes.slowConsumer, 'slow consumer');
    assert.equal(tunnel.state, 'reconnecting');
    assert.ok([...env.timers.values()].every((t) => t.ms >= 500));
  });

  test('4400–4499: no reconnect; the tunnel closes with error 2001', async () => {
    const { env, tunnel, errors } = await openTunnel();
    env.sockets.at(-1)!.close!(4455, 'not with this session');
    assert.equal(tunnel.state, 'closed');
    assert.deepEqual(errors, [2001]);
    assert.equal(env.timers.size, 0);
  });
});
