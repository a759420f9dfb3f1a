/**
 * The Wafer 1 tunnel, official packages unchanged: qcloud-weapp-server-sdk 0.8.2's TunnelService as
 * the business server (chat room logic of the Wafer demo) against Hutong's `/tunnel` API, a
 * wafer-client-sdk 0.8.4 Tunnel on the simulator's `wx`, and a second participant speaking the
 * frame protocol over raw `ws`.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import type { DevStack } from '../src/stack.js';
import { devTunnelSignatureKey } from '../src/stack.js';
import { installWx, require, startTestStack } from './stack-fixture.js';

const qcloud = require('qcloud-weapp-server-sdk');
const client = require('wafer-client-sdk');

let stack: DevStack;
let business: Server;
let businessUrl: string;
const events: string[] = [];

/** The Wafer demo's chat room, written against the official server SDK. */
function chatHandler() {
  const connected: string[] = [];
  const { TunnelService } = qcloud;
  return {
    onRequest(tunnelId: string) {
      events.push(`request ${tunnelId}`);
    },
    onConnect(tunnelId: string) {
      events.push(`connect ${tunnelId}`);
      connected.push(tunnelId);
      TunnelService.broadcast(connected, 'people', { total: connected.length, enter: tunnelId });
    },
    onMessage(tunnelId: string, type: string, content: { word?: string }) {
      events.push(`message ${tunnelId} ${type}`);
      if (type === 'speak')
        TunnelService.broadcast(connected, 'speak', { who: tunnelId, word: content.word });
    },
    onClose(tunnelId: string) {
      events.push(`close ${tunnelId}`);
      const index = connected.indexOf(tunnelId);
      if (index >= 0) connected.splice(index, 1);
      TunnelService.broadcast(connected, 'people', { total: connected.length, leave: tunnelId });
    },
  };
}

before(async () => {
  stack = await startTestStack();
  const handler = chatHandler();
  business = createServer((req: IncomingMessage & { body?: unknown }, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        req.body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {};
      } catch {
        req.body = {};
      }
      qcloud.TunnelService.create(req, res).handle(handler, { checkLogin: false });
    });
  });
  await new Promise<void>((resolve) => business.listen(0, '127.0.0.1', resolve));
  const port = (business.address() as AddressInfo).port;
  businessUrl = `http://127.0.0.1:${port}/tunnel`;
  qcloud.config({
    // With a port, the SDK's url.format brackets the host: Hutong repairs the receiveUrl.
    ServerHost: `127.0.0.1:${port}`,
    AuthServerUrl: `${stack.url}/auth`,
    TunnelServerUrl: `${stack.url}/tunnel`,
    TunnelSignatureKey: devTunnelSignatureKey,
    NetworkTimeout: 5000,
  });
});
after(async () => {
  await new Promise((resolve) => business.close(resolve));
  await stack.close();
});

/** A second participant: asks the business server for a tunnel, then speaks frames over ws. */
async function rawParticipant() {
  const { url } = (await (await fetch(businessUrl)).json()) as { url: string };
  const ws = new WebSocket(url);
  const frames: string[] = [];
  ws.on('message', (data) => frames.push(String(data)));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const waitFor = async (match: (frame: string) => boolean, what: string) => {
    for (let i = 0; i < 200; i += 1) {
      const found = frames.find(match);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no frame for ${what}; got ${JSON.stringify(frames)}`);
  };
  return { ws, frames, waitFor, tunnelId: new URL(url).searchParams.get('tunnelId')! };
}

test('official client and server SDKs chat through Hutong: connect, people, speak, close', async () => {
  installWx(stack);
  const tunnel = new client.Tunnel(businessUrl);
  const heard: unknown[] = [];
  const people: { total: number }[] = [];
  const connected = new Promise<void>((resolve) => tunnel.on('connect', () => resolve()));
  tunnel.on('speak', (speak: unknown) => heard.push(speak));
  tunnel.on('people', (p: { total: number }) => people.push(p));
  tunnel.open();
  await connected;

  const other = await rawParticipant();
  assert.match(await other.waitFor((f) => f.startsWith('timeout:'), 'timeout'), /^timeout:\d+$/);
  await other.waitFor((f) => f.includes('"people"') && f.includes('"total":2'), 'people 2');
  other.ws.send('ping');
  await other.waitFor((f) => f === 'pong', 'pong');

  tunnel.emit('speak', { word: '你好 from the official client' });
  const word = await other.waitFor((f) => f.includes('official client'), 'speak');
  assert.deepEqual(JSON.parse(word.slice('message:'.length)).type, 'speak');

  other.ws.send(`message:${JSON.stringify({ type: 'speak', content: { word: 'hi back' } })}`);
  for (let i = 0; i < 200 && !heard.some((h) => JSON.stringify(h).includes('hi back')); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(
    heard.some((h) => JSON.stringify(h).includes('hi back')),
    JSON.stringify(heard),
  );
  assert.ok(people.some((p) => p.total === 2));

  other.ws.send('close');
  await new Promise((resolve) => other.ws.once('close', resolve));
  for (let i = 0; i < 200 && !people.some((p) => p.total === 1 && 'leave' in p); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(
    people.some((p) => p.total === 1 && 'leave' in p),
    JSON.stringify(people),
  );
  tunnel.close();
  for (
    let i = 0;
    i < 200 && !events.some((e) => e.startsWith('close') && !e.includes(other.tunnelId));
    i += 1
  ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(events.filter((e) => e.startsWith('close')).length >= 2, JSON.stringify(events));
});

test('TunnelService.emit/closeTunnel resolve with data.invalidTunnelIds for unknown tunnels', async () => {
  const result = await qcloud.TunnelService.emit('no-such-tunnel', 'speak', { word: 'x' });
  assert.deepEqual(result.data.invalidTunnelIds, ['no-such-tunnel']);
  const other = await rawParticipant();
  await other.waitFor((f) => f.startsWith('timeout:'), 'timeout');
  const closed = await qcloud.TunnelService.closeTunnel(other.tunnelId);
  assert.deepEqual(closed.data.invalidTunnelIds, []);
  await other.waitFor((f) => f === 'close', 'close packet');
  await new Promise((resolve) => other.ws.once('close', resolve));
});
