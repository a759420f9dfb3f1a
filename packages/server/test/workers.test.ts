/**
 * `hutong start --workers 2`, as an operator runs it: two worker processes on one port and the
 * primary's in-box bus between them (no Redis). Tunnels from get/wsurl land on either worker,
 * whichever takes the socket; one push reaches all of them; the dashboard sees both workers; a
 * worker killed is started again; SIGTERM drains every client (4503) and exits 0.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { until } from '@hutong/core/testing';
import { tunnelSignature } from '@hutong/protocol/wafer-signature';
import WebSocket from 'ws';
import { freePort } from '../../../testing/ports.js';
import { cliTunnelKey, testApp } from './fixtures.js';
import { receiverServer } from './tunnel-fixtures.js';

const TOKEN = 'workers-test-admin-token-7bd1c9';
const root = new URL('../../../', import.meta.url).pathname;

describe('hutong start --workers 2', () => {
  let primary: ChildProcess;
  let base: string;
  let dataDir: string;
  let business: Awaited<ReturnType<typeof receiverServer>>;
  const logs: string[] = [];
  const clients: { ws: WebSocket; id: string; got: string[] }[] = [];

  const signed = async (path: string, data: object) => {
    const text = JSON.stringify(data);
    const response = await fetch(`${base}/tunnel/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: text, signature: tunnelSignature(text, cliTunnelKey) }),
    });
    return (await response.json()) as { code: number; data: any };
  };
  const stats = async () =>
    (await (
      await fetch(`${base}/admin/api/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as {
      nodes: { node: string; sockets: number }[];
    };
  const workerPids = () =>
    execFileSync('pgrep', ['-P', String(primary.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);

  /** A tunnel from get/wsurl and its socket, recording what it is sent. */
  async function open(): Promise<(typeof clients)[number]> {
    const reply = await signed('get/wsurl', { receiveUrl: business.url });
    const { tunnelId, connectUrl } = JSON.parse(reply.data) as { tunnelId: string; connectUrl: string };
    const ws = new WebSocket(connectUrl);
    const client = { ws, id: tunnelId, got: [] as string[] };
    ws.on('message', (data) => client.got.push(String(data)));
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    clients.push(client);
    return client;
  }

  before(async () => {
    business = await receiverServer();
    dataDir = await mkdtemp(join(tmpdir(), 'hutong-workers-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    primary = spawn(
      process.execPath,
      ['--conditions=hutong-src', '--import', 'tsx', 'packages/server/src/cli.ts', 'start', '--workers', '2'],
      {
        cwd: root,
        env: {
          PATH: process.env['PATH'] ?? '',
          PORT: String(port),
          HUTONG_DATA_DIR: dataDir,
          HUTONG_APPID: testApp.appid,
          HUTONG_APP_SECRET: 'a-production-like-secret-9f3k2m1q',
          HUTONG_TUNNEL_SIGNATURE_KEY: cliTunnelKey,
          HUTONG_ADMIN_TOKEN: TOKEN,
          HUTONG_CONNECTIONS_PER_IP: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    primary.stdout!.on('data', (chunk) => logs.push(String(chunk)));
    primary.stderr!.on('data', (chunk) => logs.push(String(chunk)));
    await until(() => logs.join('').includes('"workers":2'), 'the primary to say its workers listen', 30_000);
  });

  after(async () => {
    for (const { ws } of clients) ws.terminate();
    if (primary.exitCode === null) primary.kill('SIGKILL');
    await business.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('tunnels land on both workers; one push reaches every one of them', async () => {
    for (let i = 0; i < 12; i += 1) await open();
    await until(
      async () => {
        const { nodes } = await stats();
        return (
          nodes.length === 2 &&
          nodes.every((n) => n.sockets > 0) &&
          nodes.reduce((s, n) => s + n.sockets, 0) === 12
        );
      },
      'both workers reporting their sockets',
      10_000,
    );
    const pushed = await signed('ws/push', [
      {
        tunnelIds: clients.map((c) => c.id),
        type: 'message',
        content: JSON.stringify({ type: 'hi', content: 1 }),
      },
    ]);
    assert.deepEqual(pushed.data.invalidTunnelIds, []);
    await until(
      () => clients.every((c) => c.got.some((f) => f.startsWith('message:'))),
      'every client has the push',
      5000,
    );
    await until(
      () => business.received.filter((r) => r.data.type === 'connect').length === 12,
      'every connect event',
    );
  });

  test('rooms span the workers: one join, presence and a room push reach the tunnels of both', async () => {
    const ids = clients.map((c) => c.id);
    const joined = await signed('rooms', { op: 'join', room: 'box', tunnelIds: ids });
    assert.deepEqual(joined.data, { invalidTunnelIds: [] }, 'the other worker’s tunnels joined too');
    const counted = await signed('rooms', { op: 'presence', rooms: ['box'] });
    assert.deepEqual(counted.data, { presence: { box: ids.length } });
    const word = JSON.stringify({ type: 'box', content: 1 });
    await signed('ws/push', [{ tunnelIds: [], rooms: ['box'], type: 'message', content: word }]);
    await until(
      () => clients.every((c) => c.got.includes(`message:${word}`)),
      'every member has the room push',
      5000,
    );
  });

  test('a worker killed is started again, and the box keeps serving', async () => {
    const [victim] = workerPids();
    process.kill(victim!, 'SIGKILL');
    await until(() => !workerPids().includes(victim!) && workerPids().length === 2, 'a new worker', 15_000);
    await until(
      () => clients.some((c) => c.ws.readyState === WebSocket.CLOSED),
      'the dead worker’s sockets closing',
    );
    const survivors = clients.filter((c) => c.ws.readyState === WebSocket.OPEN);
    assert.ok(
      survivors.length > 0 && survivors.length < 12,
      `the dead worker took its sockets with it (${survivors.length} left)`,
    );
    await until(async () => (await stats()).nodes.length === 2, 'two workers reporting again', 10_000);
    const fresh = await open();
    const pushed = await signed('ws/push', [
      {
        tunnelIds: [...survivors, fresh].map((c) => c.id),
        type: 'message',
        content: JSON.stringify({ type: 'again' }),
      },
    ]);
    assert.deepEqual(pushed.data.invalidTunnelIds, []);
    await until(
      () => [...survivors, fresh].every((c) => c.got.some((f) => f.includes('"again"'))),
      'the second push',
    );
  });

  test('SIGTERM drains every worker: clients are told to reconnect (4503), the box exits 0', async () => {
    const open = clients.filter((c) => c.ws.readyState === WebSocket.OPEN);
    const codes = open.map((c) => new Promise<number>((resolve) => c.ws.once('close', resolve)));
    const exited = new Promise<number | null>((resolve) => primary.once('exit', resolve));
    primary.kill('SIGTERM');
    assert.deepEqual(new Set(await Promise.all(codes)), new Set([4503]));
    assert.equal(await exited, 0);
  });
});
