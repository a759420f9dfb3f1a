/**
 * docs/configuration.md's tunnel limits table against the code: every `tunnel.*` limit key of the
 * config file has its row, with the environment variable the key maps to and the hub's default;
 * each variable reaches its setting, and a running node holds to them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { HandlerReceiver } from '@hutong/core';
import { tunnelSignature } from '@hutong/protocol/wafer-signature';
import WebSocket from 'ws';
import { loadConfig } from '../src/config/config.js';
import { configKeys } from '../src/config/config-file.js';
import { createHutong } from '../src/hutong.js';
import { tunnelHubDefaults } from '../src/tunnel/tunnel-hub-options.js';
import { testEnv } from './fixtures.js';

const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
const section = doc.slice(
  doc.indexOf('## Tunnel limits'),
  doc.indexOf('\n## ', doc.indexOf('## Tunnel limits') + 3),
);
const rows = new Map(
  [...section.matchAll(/^\| `(tunnel\.\w+)` \| `(HUTONG_\w+)` \| (\d+) \|/gm)].map((m) => [
    m[1]!,
    { env: m[2]!, value: Number(m[3]) },
  ]),
);

/** Each documented key: the config field it lands in, and the default in the table's unit. */
const fields: Record<string, [field: string, inTable: (config: ReturnType<typeof loadConfig>) => number]> = {
  'tunnel.heartbeat': ['heartbeatSeconds', (c) => c.tunnelHeartbeatSeconds],
  'tunnel.pendingTtl': ['pendingTtlMs', (c) => c.tunnelLimits.pendingTtlMs / 1000],
  'tunnel.maxFrameBytes': ['maxPayload', (c) => c.tunnelLimits.maxPayload],
  'tunnel.maxBufferedBytes': ['maxBufferedBytes', (c) => c.tunnelLimits.maxBufferedBytes],
  'tunnel.maxTunnels': ['maxTunnels', (c) => c.tunnelLimits.maxTunnels],
  'tunnel.maxPerUser': ['maxTunnelsPerOwner', (c) => c.tunnelLimits.maxTunnelsPerOwner],
  'tunnel.recoveryWindow': ['recoveryWindowMs', (c) => c.tunnelLimits.recoveryWindowMs / 1000],
  'tunnel.recoveryMaxMessages': ['recoveryMaxMessages', (c) => c.tunnelLimits.recoveryMaxMessages],
  'tunnel.roomsPerTunnel': ['roomsPerTunnel', (c) => c.tunnelLimits.roomsPerTunnel],
  'tunnel.pushBodyBytes': ['pushBodyBytes', (c) => c.tunnelLimits.pushBodyBytes],
};

test('every tunnel limit is in docs/configuration.md with its variable and the default the code uses', () => {
  const limitKeys = Object.keys(configKeys).filter((key) => key in fields);
  assert.deepEqual(new Set(rows.keys()), new Set(Object.keys(fields)), 'documented rows');
  assert.deepEqual(new Set(limitKeys), new Set(Object.keys(fields)), 'config file keys');
  const defaults = loadConfig(testEnv());
  for (const [key, [field, inTable]] of Object.entries(fields)) {
    const row = rows.get(key)!;
    assert.equal(row.env, configKeys[key]![0], `${key}: the variable`);
    assert.equal(row.value, inTable(defaults), `${key}: the default the configuration gives`);
    const hub = (tunnelHubDefaults as Record<string, number>)[field]!;
    assert.equal(hub, field.endsWith('Ms') ? row.value * 1000 : row.value, `${key}: the hub's own default`);
  }
});

test('each tunnel variable reaches its setting', () => {
  const env = testEnv(
    Object.fromEntries([...rows.values()].map((row, i) => [row.env, String(row.value + 1000 * (i + 1))])),
  );
  const config = loadConfig(env);
  for (const [key, [, inTable]] of Object.entries(fields)) {
    const row = rows.get(key)!;
    assert.equal(inTable(config), Number(env[row.env]), `${row.env} → ${key}`);
  }
});

test('the limits reach a running node: frame size, tunnels per user, push body size', async () => {
  const hutong = await createHutong(
    loadConfig(
      testEnv({
        HUTONG_TUNNEL_MAX_FRAME_BYTES: '2048',
        HUTONG_TUNNEL_MAX_PER_USER: '1',
        HUTONG_TUNNEL_PUSH_BODY_BYTES: String(64 * 1024),
      }),
    ),
    { purgeIntervalMs: 0 },
  );
  try {
    await hutong.listen();
    const receiver = new HandlerReceiver({});
    const { connectUrl } = hutong.tunnels.allocate(receiver, 'user-1');
    assert.throws(() => hutong.tunnels.allocate(receiver, 'user-1'), { code: 'ERR_TUNNEL_LIMIT' });
    const ws = new WebSocket(connectUrl);
    await new Promise((resolve) => ws.once('open', resolve));
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    ws.send(`message:${JSON.stringify({ type: 't', content: 'x'.repeat(3000) })}`);
    assert.equal(await closed, 1009, 'a frame over HUTONG_TUNNEL_MAX_FRAME_BYTES');
    const data = 'x'.repeat(70 * 1024);
    const push = await fetch(`${hutong.publicUrl}/tunnel/ws/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data, signature: tunnelSignature(data, 'k') }),
    });
    assert.equal(push.status, 413, 'a body over HUTONG_TUNNEL_PUSH_BODY_BYTES');
  } finally {
    await hutong.close();
  }
});
