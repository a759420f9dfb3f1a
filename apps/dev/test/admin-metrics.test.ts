/**
 * `/metrics` and the dashboard's `/admin/api/stats` on the dev stack: closed without the admin
 * token (and absent when none is configured), and counting what happens — tunnels, rooms, IM
 * devices, messages, logins by outcome and errors by code. With Redis, two nodes see each other.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { until } from '@hutong/core/testing';
import type { ClusterStats } from '@hutong/server';
import { ConfigError, loadConfig } from '@hutong/server';
import WebSocket from 'ws';
import { service } from '../../../testing/services.js';
import type { DevStack } from '../src/stack.js';
import { phone, watch } from './client-fixture.js';
import { startTestStack } from './stack-fixture.js';

const TOKEN = 'admin-token-for-tests-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };

/** A metric's value in Prometheus text, for the line with exactly these labels (besides `node`). */
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const found = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    delete found['node'];
    if (JSON.stringify(found) === JSON.stringify(labels))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

describe('admin token', () => {
  test('is refused when short or with spaces, naming the key', () => {
    for (const bad of ['short', 'has spaces in it but long enough']) {
      assert.throws(
        () =>
          loadConfig({
            HUTONG_TUNNEL_SIGNATURE_KEY: 'k',
            HUTONG_APPID: 'wx0123456789abcdef',
            HUTONG_APP_SECRET: 's',
            HUTONG_ADMIN_TOKEN: bad,
          }),
        (error: unknown) => error instanceof ConfigError && error.key === 'HUTONG_ADMIN_TOKEN',
      );
    }
  });

  test('without one, /metrics and /admin/api/stats do not exist', async () => {
    const stack = await startTestStack();
    try {
      for (const path of ['/metrics', '/admin/api/stats', '/admin/']) {
        const response = await fetch(`${stack.url}${path}`, { headers: auth });
        assert.equal(response.status, 404, path);
      }
    } finally {
      await stack.close();
    }
  });
});

describe('metrics and dashboard stats', () => {
  let stack: DevStack;
  const metrics = async () => {
    const response = await fetch(`${stack.url}/metrics`, { headers: auth });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    return response.text();
  };
  const stats = async (): Promise<ClusterStats> => {
    await stack.hutong.nodeStats.tick();
    const response = await fetch(`${stack.url}/admin/api/stats`, { headers: auth });
    assert.equal(response.status, 200);
    return (await response.json()) as ClusterStats;
  };

  before(async () => {
    stack = await startTestStack({ HUTONG_ADMIN_TOKEN: TOKEN });
  });
  after(() => stack.close());

  test('need the token: none, a wrong one or another scheme is 401 ERR_ADMIN_TOKEN', async () => {
    for (const headers of [
      {},
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `Basic ${TOKEN}` },
      { authorization: TOKEN },
    ]) {
      for (const path of ['/metrics', '/admin/api/stats']) {
        const response = await fetch(`${stack.url}${path}`, { headers });
        assert.equal(response.status, 401, `${path} ${JSON.stringify(headers)}`);
        assert.equal(((await response.json()) as any).error.code, 'ERR_ADMIN_TOKEN');
      }
    }
  });

  test('the scheme is case-insensitive (RFC 7235): bearer and BEARER work too', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const response = await fetch(`${stack.url}/admin/api/stats`, {
        headers: { authorization: `${scheme} ${TOKEN}` },
      });
      assert.equal(response.status, 200, scheme);
    }
  });

  test('count tunnels, rooms, messages, logins by outcome, IM devices and errors by code', async () => {
    const before = await metrics();
    assert.match(before, /^# TYPE hutong_tunnels gauge$/m);
    assert.match(before, /^process_cpu_user_seconds_total/m, 'process metrics too');

    const a = phone(stack, '甲');
    const b = phone(stack, '乙');
    await a.client.login({ withUserInfo: true });
    await b.client.login();
    const ta = new a.client.Tunnel(`${stack.url}/weapp/tunnel`);
    const tb = new b.client.Tunnel(`${stack.url}/weapp/tunnel`);
    const wb = watch(tb);
    ta.open();
    tb.open();
    await until(() => ta.isActive() && tb.isActive(), 'both tunnels open', 5000);
    ta.emit('speak', { word: 'hi' });
    await until(() => wb.messages.some((m) => m.type === 'speak'), 'b hears a', 5000);
    const bad = await fetch(`${stack.url}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'not-a-real-code' }),
    });
    assert.equal(bad.status, 400);
    const badCode = ((await bad.json()) as any).error.code as string;

    // An IM device, and an IM error: data before login is answered with error 301.
    const ws = new WebSocket(`${stack.url.replace('http', 'ws')}/im`);
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 2, dataContent: 'x', from: 'u', to: 'v', fp: 'f1', QoS: true }));
    await new Promise((resolve) => ws.once('message', resolve));
    const skey = b.client.session.get()!.skey;
    const openId = (b.client.session.get()!.userInfo as { openId: string }).openId;
    const im = new WebSocket(`${stack.url.replace('http', 'ws')}/im`);
    await new Promise((resolve) => im.once('open', resolve));
    im.send(
      JSON.stringify({ type: 0, dataContent: JSON.stringify({ loginUserId: openId, loginToken: skey }) }),
    );
    await new Promise((resolve) => im.once('message', resolve));

    const text = await metrics();
    assert.equal(metric(text, 'hutong_tunnel_sockets'), 2);
    assert.equal(metric(text, 'hutong_tunnels'), 2);
    assert.equal(metric(text, 'hutong_tunnel_messages_total', { direction: 'in' }), 1);
    assert.ok(
      metric(text, 'hutong_tunnel_messages_total', { direction: 'out' }) >= 5,
      'members, people ×3, speak ×2',
    );
    assert.equal(metric(text, 'hutong_logins_total', { outcome: 'ok' }), 2);
    assert.equal(metric(text, 'hutong_logins_total', { outcome: badCode }), 1);
    assert.equal(metric(text, 'hutong_errors_total', { code: badCode }), 1);
    assert.equal(metric(text, 'hutong_errors_total', { code: 'im:301' }), 1);
    assert.equal(metric(text, 'hutong_im_users'), 1);
    // Store and broker latency, by backend and operation.
    for (const backend of ['session', 'im', 'broker']) {
      const count = text
        .split('\n')
        .filter(
          (line) => line.startsWith('hutong_backend_seconds_count{') && line.includes(`backend="${backend}"`),
        )
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
      assert.ok(count > 0, `${backend} calls are timed (${count})`);
    }
    assert.match(text, /hutong_backend_seconds_bucket\{[^}]*backend="session"[^}]*op="createSession"/);
    assert.equal(metric(text, 'hutong_im_devices'), 1);
    assert.match(text, /^# TYPE hutong_im_closed_total counter$/m, 'IM closes by limit or session end');
    assert.match(
      text,
      /^# TYPE hutong_connections_refused_total counter$/m,
      'upgrades over the per-address cap',
    );

    const view = await stats();
    assert.equal(view.nodes.length, 1);
    const [node] = view.nodes;
    assert.equal(node!.node, stack.hutong.nodeStats.view().node);
    assert.deepEqual(
      [node!.sockets, node!.tunnels, node!.imUsers, node!.imDevices, node!.loginsOk, node!.loginsFailed],
      [2, 2, 1, 1, 2, 1],
    );
    assert.equal(node!.tunnelIn, 1);
    assert.equal(node!.errors[badCode], 1);
    assert.ok(node!.history.length >= 1);
    assert.deepEqual(
      view.recentErrors.slice(0, 2).map((e) => e.code),
      ['im:301', badCode],
    );

    ta.close();
    tb.close();
    ws.close();
    im.close();
    await until(async () => metric(await metrics(), 'hutong_tunnel_sockets') === 0, {
      what: 'sockets closed',
      timeoutMs: 5000,
      intervalMs: 20,
    });
    const later = await stats();
    assert.equal(later.nodes[0]!.sockets, 0, 'the dashboard sees them go');
    assert.ok(later.nodes[0]!.history.length >= 2, 'one point per sample');
  });
});

const redis = await service('redis');

describe('two nodes over Redis', { skip: redis.skip }, () => {
  test('each node’s dashboard shows both nodes, and a closed node drops out', async () => {
    const env = { HUTONG_ADMIN_TOKEN: TOKEN, HUTONG_BROKER: 'redis', HUTONG_BROKER_URL: redis.url };
    const one = await startTestStack({ ...env, HUTONG_NODE_ID: `one-${process.pid}` });
    const two = await startTestStack({ ...env, HUTONG_NODE_ID: `two-${process.pid}` });
    try {
      await one.hutong.nodeStats.tick();
      await two.hutong.nodeStats.tick();
      await one.hutong.nodeStats.tick();
      const names = one.hutong.nodeStats.view().nodes.map((n) => n.node);
      assert.ok(names.includes(`one-${process.pid}`) && names.includes(`two-${process.pid}`), names.join());
      await two.close();
      await one.hutong.nodeStats.tick();
      const after = one.hutong.nodeStats.view().nodes.map((n) => n.node);
      assert.ok(!after.includes(`two-${process.pid}`), after.join());
    } finally {
      await one.close();
      await two.close().catch(() => {});
    }
  });
});
