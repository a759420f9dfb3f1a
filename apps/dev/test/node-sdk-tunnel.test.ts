/**
 * Hutong's node-sdk tunnel half: the Wafer 1 `TunnelService` (remote through `/tunnel`, and in
 * process on the hub) with the official wafer-client-sdk 0.8.4 as the client, callback checks,
 * and the Wafer 2 tunnel API.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  createWafer1Config,
  createWafer2Tunnel,
  LocalTunnelBackend,
  RemoteTunnelBackend,
  TunnelService,
  type Wafer1TunnelHandler,
} from '@hutong/node-sdk';
import { tunnelSignature } from '@hutong/protocol/wafer-signature';
import WebSocket from 'ws';
import { type DevStack, devTunnelSignatureKey } from '../src/stack.js';
import { installWx, require, startTestStack, until } from './stack-fixture.js';

const client = require('wafer-client-sdk');
let stack: DevStack;
before(async () => {
  stack = await startTestStack();
});
after(() => stack.close());

/** A business server whose `/tunnel` is handled by a TunnelService class, JSON bodies parsed. */
async function business(Service: typeof TunnelService, handler: Wafer1TunnelHandler) {
  const server: Server = createServer((req: IncomingMessage & { body?: unknown }, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      req.body = raw;
      Service.create(req, res).handle(handler, { getBody: () => (raw ? safeJson(raw) : undefined) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}/tunnel`,
    close: () => new Promise((r) => server.close(r)),
  };
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

for (const mode of ['remote', 'in-process'] as const) {
  test(`Wafer 1 TunnelService (${mode}) with the official client: connect, speak, push, close`, async () => {
    const config = createWafer1Config();
    class Service extends TunnelService {
      static override config = config;
    }
    const events: string[] = [];
    const handler: Wafer1TunnelHandler = {
      onRequest: (id) => events.push(`request ${id}`),
      onConnect: (id) => {
        events.push(`connect ${id}`);
        void Service.emit(id, 'welcome', { hello: id });
      },
      onMessage: (id, type, content) => {
        events.push(`message ${type}`);
        void Service.broadcast([id], 'echo', content);
      },
      onClose: (id) => events.push(`close ${id}`),
    };
    const biz = await business(Service, handler);
    config({
      ServerHost: `127.0.0.1:${biz.port}`,
      TunnelServerUrl: `${stack.url}/tunnel`,
      TunnelSignatureKey: devTunnelSignatureKey,
      ...(mode === 'in-process' ? { TunnelBackend: new LocalTunnelBackend(stack.hutong.router) } : {}),
    });
    try {
      installWx(stack);
      const tunnel = new client.Tunnel(biz.url);
      const got: unknown[] = [];
      tunnel.on('welcome', (m: unknown) => got.push(['welcome', m]));
      tunnel.on('echo', (m: unknown) => got.push(['echo', m]));
      tunnel.open();
      await until(() => got.length === 1, 'welcome');
      tunnel.emit('speak', { word: 'ping?' });
      await until(() => got.length === 2, 'echo');
      assert.deepEqual(got[1], ['echo', { word: 'ping?' }]);
      const unknown = await Service.broadcast(['nope'], 'x', 1);
      assert.deepEqual(unknown.data.invalidTunnelIds, ['nope']);
      tunnel.close();
      await until(() => events.some((e) => e.startsWith('close')), 'close');
      assert.deepEqual(
        events.map((e) => e.split(' ')[0]),
        ['request', 'connect', 'message', 'close'],
      );
    } finally {
      await biz.close();
    }
  });
}

describe('callback checks (what the tunnel server POSTs)', () => {
  test('not JSON 9001, missing fields 9002, bad signature 9003, bad data 9004', async () => {
    const config = createWafer1Config();
    config({
      ServerHost: 'x',
      TunnelServerUrl: `${stack.url}/tunnel`,
      TunnelSignatureKey: devTunnelSignatureKey,
    });
    class Service extends TunnelService {
      static override config = config;
    }
    const seen: string[] = [];
    const biz = await business(Service, { onConnect: (id) => seen.push(id) });
    try {
      const post = async (body: string) => {
        const response = await fetch(biz.url, { method: 'POST', body });
        return [response.status, ((await response.json()) as { code: number }).code];
      };
      const data = JSON.stringify({ tunnelId: 't1', type: 'connect' });
      assert.deepEqual(await post('{oops'), [400, 9001]);
      assert.deepEqual(await post(JSON.stringify({ data })), [400, 9002]);
      assert.deepEqual(
        await post(JSON.stringify({ data, signature: tunnelSignature(data, 'wrong') })),
        [400, 9003],
      );
      assert.deepEqual(
        await post(JSON.stringify({ data: 'zz', signature: tunnelSignature('zz', devTunnelSignatureKey) })),
        [200, 9004],
      );
      assert.deepEqual(seen, []);
      assert.deepEqual(
        await post(JSON.stringify({ data, signature: tunnelSignature(data, devTunnelSignatureKey) })),
        [200, 0],
      );
      assert.deepEqual(seen, ['t1']);
    } finally {
      await biz.close();
    }
  });

  test('checkLogin: a request without a session gets the Wafer 1 session error, no tunnel', async () => {
    const config = createWafer1Config();
    config({
      ServerHost: 'x',
      AuthServerUrl: `${stack.url}/auth`,
      TunnelServerUrl: `${stack.url}/tunnel`,
      TunnelSignatureKey: devTunnelSignatureKey,
    });
    class Service extends TunnelService {
      static override config = config;
    }
    const server = createServer((req, res) => Service.create(req, res).handle({}, { checkLogin: true }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/tunnel`);
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(body['error'], 'ERR_INVALID_SESSION');
      assert.equal(body['url'], undefined);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

test('Wafer 2 tunnel API against an HTTP business server: getTunnelUrl for a session, callbacks through onTunnelMessage, broadcast', async () => {
  const received: unknown[] = [];
  let api: ReturnType<typeof createWafer2Tunnel> | undefined;
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', async () => {
      try {
        const message = await api!.onTunnelMessage(raw);
        received.push(message);
        res.end(JSON.stringify({ code: 0, data: {} }));
      } catch (error) {
        res.end(JSON.stringify({ code: -1, error: String(error) }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  api = createWafer2Tunnel({
    tunnel: new RemoteTunnelBackend({
      tunnelServerUrl: `${stack.url}/tunnel`,
      signatureKey: devTunnelSignatureKey,
    }),
    auth: stack.hutong.auth,
    // No `protocol`: the callbacks take the scheme of tunnelServerUrl (http here), as wafer-node-sdk's.
    serverHost: `127.0.0.1:${port}`,
    signatureKey: devTunnelSignatureKey,
  });
  try {
    await assert.rejects(api.getTunnelUrl({ headers: {} }), { code: 'ERR_SESSION_INVALID' });
    const { code } = (await (
      await fetch(`${stack.url}/__wx/sim/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
    ).json()) as { code: string };
    const { data } = (await (
      await fetch(`${stack.url}/weapp/login`, { headers: { 'x-wx-code': code } })
    ).json()) as {
      data: { skey: string };
    };
    const { tunnel, userinfo } = await api.getTunnelUrl({
      headers: { 'x-wx-skey': data.skey },
      url: '/weapp/tunnel',
    });
    assert.ok(userinfo.openId);
    const ws = new WebSocket(tunnel.connectUrl);
    const frames: string[] = [];
    ws.on('message', (m) => frames.push(String(m)));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(`message:${JSON.stringify({ type: 'speak', content: { word: 'w2' } })}`);
    await until(() => received.length === 2, 'connect and message callbacks');
    assert.deepEqual(received[1], {
      tunnelId: tunnel.tunnelId,
      type: 'message',
      content: { messageType: 'speak', messageContent: { word: 'w2' } },
    });
    const pushed = await api.broadcast([tunnel.tunnelId], 'news', { n: 1 });
    assert.deepEqual(pushed.data.invalidTunnelIds, []);
    await until(() => frames.some((f) => f.includes('"news"')), 'news');
    await api.closeTunnel(tunnel.tunnelId);
    await new Promise((resolve) => ws.once('close', resolve));
    await until(() => received.length === 3, 'close callback');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('webhook retries and drops are counted when the business server is down', async () => {
  const quick = await startTestStack({ HUTONG_WEBHOOK_RETRY_MS: '10,10' });
  try {
    const backend = new RemoteTunnelBackend({
      tunnelServerUrl: `${quick.url}/tunnel`,
      signatureKey: devTunnelSignatureKey,
    });
    const grant = await backend.requestConnect('http://127.0.0.1:1/tunnel');
    const ws = new WebSocket(grant.connectUrl);
    await new Promise((resolve) => ws.once('open', resolve));
    const { stats } = quick.hutong.router;
    await until(() => stats.webhookDrops === 1, 'the connect event dropped');
    assert.equal(stats.webhookRetries, 2);
    ws.close();
  } finally {
    await quick.close();
  }
});
