/** The tunnel registry's limits and counts (tunnel-registry.ts), without sockets. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HandlerReceiver } from '@hutong/core';
import type { TunnelSocket } from '../src/tunnel/tunnel.js';
import { TunnelRegistry } from '../src/tunnel/tunnel-registry.js';

const receiver = new HandlerReceiver({});
const socket = {} as TunnelSocket;
const limit = (fn: () => unknown) => assert.throws(fn, { code: 'ERR_TUNNEL_LIMIT' });

test('at most maxTunnels, at most maxTunnelsPerOwner per owner; forgetting frees the slot', () => {
  const registry = new TunnelRegistry({ maxTunnels: 3, maxTunnelsPerOwner: 2, pendingTtlMs: 1000 });
  const a = registry.allocate(receiver, 'alice', 0);
  registry.allocate(receiver, 'alice', 0);
  limit(() => registry.allocate(receiver, 'alice', 0));
  const b = registry.allocate(receiver, 'bob', 0);
  assert.equal(registry.full, true);
  limit(() => registry.allocate(receiver, undefined, 0));
  registry.forget(a);
  assert.equal(registry.size, 2);
  assert.match(registry.allocate(receiver, 'alice', 0).id, /^[0-9a-f]{32}$/);
  assert.equal(registry.get(b.id), b);
  assert.equal(a.state.phase, 'pending');
  assert.equal((a.state as { expiresAt: number }).expiresAt, 1000, 'pending for pendingTtlMs');
});

test('the count of open sockets follows every move and forget', () => {
  const registry = new TunnelRegistry({ maxTunnels: 10, maxTunnelsPerOwner: 10, pendingTtlMs: 1000 });
  const [t1, t2] = [
    registry.allocate(receiver, undefined, 0),
    registry.allocate(receiver, undefined, 0, 'f'.repeat(32)),
  ];
  assert.equal(t2.id, 'f'.repeat(32), 'an adopted tunnel keeps the id another node gave it');
  registry.move(t1, { phase: 'open', socket });
  registry.move(t2, { phase: 'open', socket });
  assert.equal(registry.connected, 2);
  registry.move(t1, { phase: 'detached', since: 5 });
  assert.equal(registry.connected, 1);
  registry.forget(t2);
  assert.equal(registry.connected, 0);
  registry.forget(t2);
  assert.equal(registry.size, 1, 'forgetting twice changes nothing');
});
