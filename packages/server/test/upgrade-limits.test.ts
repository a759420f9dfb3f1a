/**
 * Open WebSocket connections per client address: the cap counts tunnel and IM sockets together,
 * frees a place when a socket closes, and reads the client from X-Forwarded-For only when the
 * peer is a trusted proxy.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { addressList } from '../src/http/address-list.js';
import { UpgradeRouter } from '../src/http/upgrade-router.js';
import { until } from './tunnel-fixtures.js';

const wss = new WebSocketServer({ noServer: true });
let url: string;
let router: UpgradeRouter;
const http = createServer();

before(async () => {
  router = new UpgradeRouter({ maxPerAddress: 3, trustedProxies: addressList(['10.9.0.0/16']) });
  const accept = (req: any, socket: any, head: Buffer) => wss.handleUpgrade(req, socket, head, () => {});
  router.register('/tunnel/ws', accept);
  router.register('/im', accept);
  http.on('upgrade', router.handle);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
after(async () => {
  for (const client of wss.clients) client.terminate();
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
});

/** Connects; resolves to the socket, or to the HTTP status of a refused upgrade and its body. */
function connect(path: string, headers: Record<string, string> = {}) {
  return new Promise<{ ws?: WebSocket; status: number; body: string }>((resolve) => {
    const ws = new WebSocket(`${url}${path}`, { headers });
    ws.once('open', () => resolve({ ws, status: 101, body: '' }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', () => {});
  });
}

test('a fourth socket from one address is refused with 429 ERR_RATE_LIMITED; a close frees a place', async () => {
  const open = [await connect('/tunnel/ws'), await connect('/im'), await connect('/im')];
  assert.deepEqual(
    open.map((c) => c.status),
    [101, 101, 101],
  );
  const refused = await connect('/tunnel/ws');
  assert.equal(refused.status, 429);
  assert.equal(JSON.parse(refused.body).error.code, 'ERR_RATE_LIMITED');
  assert.equal(router.refused, 1, 'counted for hutong_connections_refused_total');
  open[0]!.ws!.close();
  await until(() => router.connectionsOf('127.0.0.1') === 2, 'the closed socket to be counted out', 3000);
  const again = await connect('/im');
  assert.equal(again.status, 101);
  for (const c of [...open.slice(1), again]) c.ws!.terminate();
  await until(() => router.connectionsOf('127.0.0.1') === 0, 'every socket counted out', 3000);
});

test('X-Forwarded-For names the client only behind a trusted proxy', async () => {
  // The peer (127.0.0.1) is not in 10.9.0.0/16: a forged header changes nothing.
  const forged = [];
  for (let i = 0; i < 4; i += 1) forged.push(await connect('/im', { 'x-forwarded-for': `203.0.113.${i}` }));
  assert.deepEqual(
    forged.map((c) => c.status),
    [101, 101, 101, 429],
  );
  for (const c of forged) c.ws?.terminate();
  await until(() => router.connectionsOf('127.0.0.1') === 0, 'counted out', 3000);

  const behindProxy = new UpgradeRouter({ maxPerAddress: 1, trustedProxies: addressList(['127.0.0.0/8']) });
  const admitted: string[] = [];
  behindProxy.register('/im', (req, socket) => {
    admitted.push(String(req.headers['x-forwarded-for']));
    socket.destroy();
  });
  const proxied = createServer();
  proxied.on('upgrade', behindProxy.handle);
  await new Promise<void>((resolve) => proxied.listen(0, '127.0.0.1', resolve));
  const base = `ws://127.0.0.1:${(proxied.address() as AddressInfo).port}/im`;
  const attempt = (xff: string) =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(base, { headers: { 'x-forwarded-for': xff } });
      ws.on('error', () => resolve());
      ws.on('close', () => resolve());
    });
  await Promise.all([attempt('198.51.100.1'), attempt('198.51.100.2, 127.0.0.5')]);
  assert.deepEqual(
    admitted.sort(),
    ['198.51.100.1', '198.51.100.2, 127.0.0.5'],
    'two clients, one place each',
  );
  proxied.closeAllConnections();
  await new Promise((resolve) => proxied.close(resolve));
});
