/**
 * Admission of a tunnel's socket as a pure decision (tunnel-admission.ts): every state a tunnel
 * can be in against every kind of upgrade, no sockets needed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HandlerReceiver } from '@hutong/core';
import type { PreparedFrame } from '../src/tunnel/prepared-frame.js';
import { prepareTextFrame } from '../src/tunnel/prepared-frame.js';
import { RecoveryLog } from '../src/tunnel/recovery-log.js';
import { Tunnel, type TunnelSocket, type TunnelState } from '../src/tunnel/tunnel.js';
import { admit, type UpgradeAsk } from '../src/tunnel/tunnel-admission.js';

const NOW = 1_000_000;
const ID = 'a'.repeat(32);
const receiver = new HandlerReceiver({});
const socket = {} as TunnelSocket;

function tunnel(state: TunnelState, recoverable = false): Tunnel {
  const t = new Tunnel(ID, receiver, undefined, NOW + 60_000, NOW);
  t.state = state;
  if (recoverable) {
    t.log = new RecoveryLog<PreparedFrame>(60_000, 10);
    t.log.append(prepareTextFrame('message:1'), NOW);
    t.log.append(prepareTextFrame('message:2'), NOW);
    t.resumeSecret = 'secret';
  }
  return t;
}

const ask = (fields: Partial<UpgradeAsk> = {}): UpgradeAsk => ({
  tunnelId: ID,
  offset: null,
  resume: null,
  recover: false,
  asked: false,
  ...fields,
});

const kind = (t: Tunnel | undefined, a: UpgradeAsk) => {
  const admission = admit(t, a, NOW);
  return admission.kind === 'refuse' ? `refuse ${admission.refusal.status}` : admission.kind;
};

describe('tunnel admission', () => {
  test('a pending tunnel opens once; expired, claimed, open or closed ones are 404', () => {
    assert.equal(kind(tunnel({ phase: 'pending', expiresAt: NOW + 1, offered: false }), ask()), 'open');
    assert.equal(kind(tunnel({ phase: 'pending', expiresAt: NOW, offered: false }), ask()), 'refuse 404');
    assert.equal(kind(tunnel({ phase: 'claiming', expiresAt: NOW + 1 }), ask()), 'refuse 404');
    assert.equal(kind(tunnel({ phase: 'open', socket }), ask()), 'refuse 404');
    assert.equal(kind(tunnel({ phase: 'closed' }), ask()), 'refuse 404');
  });

  test('offered to the cluster: claimed first, opened once the cluster was asked', () => {
    const offered = tunnel({ phase: 'pending', expiresAt: NOW + 1, offered: true });
    assert.equal(kind(offered, ask()), 'claim');
    assert.equal(kind(offered, ask({ asked: true })), 'open');
  });

  test('an id this node does not know: adopted if well-formed and not asked yet', () => {
    assert.equal(kind(undefined, ask()), 'adopt');
    assert.equal(kind(undefined, ask({ asked: true })), 'refuse 404');
    assert.equal(kind(undefined, ask({ tunnelId: 'not-an-id' })), 'refuse 404');
    assert.equal(kind(undefined, ask({ offset: '0' })), 'refuse 404', 'a resume is never adopted');
  });

  test('a resume needs the secret and a kept offset; it takes an open or detached tunnel', () => {
    for (const state of [{ phase: 'open', socket } as const, { phase: 'detached', since: NOW } as const]) {
      const t = tunnel(state, true);
      const resumed = admit(t, ask({ offset: '1', resume: 'secret' }), NOW);
      assert.equal(resumed.kind, 'resume');
      if (resumed.kind === 'resume') {
        assert.deepEqual(
          resumed.missed.map((f) => f.payload.toString()),
          ['message:2'],
        );
      }
      assert.equal(kind(t, ask({ offset: '1' })), 'refuse 403', 'no secret');
      assert.equal(kind(t, ask({ offset: '1', resume: 'guess' })), 'refuse 403', 'a wrong secret');
      assert.equal(kind(t, ask({ offset: '7', resume: 'secret' })), 'refuse 410', 'an offset never sent');
    }
    assert.equal(
      kind(tunnel({ phase: 'closed' }, true), ask({ offset: '1', resume: 'secret' })),
      'refuse 404',
    );
    assert.equal(
      kind(tunnel({ phase: 'open', socket }), ask({ offset: '0' })),
      'refuse 404',
      'not recoverable',
    );
  });
});
