/**
 * node-sdk's typed tunnel API (HutongTunnels: tunnels, pushes, rooms, presence) in process and
 * against Hutong's `/tunnel` API, and the Express/Koa/Fastify receiveUrl glue.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { HutongTunnels, LocalTunnelBackend, RemoteTunnelBackend } from '@hutong/node-sdk';
import { expressTunnelCallbacks } from '@hutong/node-sdk/express';
import { fastifyTunnelCallbacks } from '@hutong/node-sdk/fastify';
import { koaTunnelCallbacks } from '@hutong/node-sdk/koa';
import type { TunnelHandler } from '@hutong/server';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import WebSocket from 'ws';
import { type DevStack, devTunnelSignatureKey } from '../src/stack.js';
import { startTestStack, until } from './stack-fixture.js';

let stack: DevStack;
before(async () => {
  stack = await startTestStack();
});
after(() => stack.close());

async function client(connectUrl: string) {
  const ws = new WebSocket(connectUrl);
  const frames: string[] = [];
  ws.on('message', (m) => frames.push(String(m)));
  await new Promise((resolve) => ws.once('open', resolve));
  return { ws, frames };
}

function recording(): { events: string[]; handler: TunnelHandler } {
  const events: string[] = [];
  return {
    events,
    handler: {
      onConnect: (id) => events.push(`connect ${id}`),
      onMessage: (id, type, content) => events.push(`message ${id} ${type} ${JSON.stringify(content)}`),
      onClose: (id) => events.push(`close ${id}`),
    },
  };
}

type Glue = (handler: TunnelHandler) => Promise<{ url: string; close(): Promise<void> }>;
const options = { key: devTunnelSignatureKey };
const glues: Record<string, Glue> = {
  async express(handler) {
    const app = express();
    app.post('/tunnel', expressTunnelCallbacks(handler, options));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tunnel`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  },
  async koa(handler) {
    const app = new Koa();
    const route = koaTunnelCallbacks(handler, options);
    app.use((ctx) => route(ctx as never));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tunnel`,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  },
  async fastify(handler) {
    const app = Fastify();
    app.post('/tunnel', fastifyTunnelCallbacks(handler, options));
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url: `${base}/tunnel`, close: () => app.close() };
  },
};

describe('HutongTunnels', () => {
  for (const mode of ['in-process', 'remote'] as const) {
    test(`open, send, rooms, presence, close (${mode})`, async () => {
      const backend =
        mode === 'in-process'
          ? new LocalTunnelBackend(stack.hutong.router)
          : new RemoteTunnelBackend({
              tunnelServerUrl: `${stack.url}/tunnel`,
              signatureKey: devTunnelSignatureKey,
            });
      const tunnels = new HutongTunnels(backend);
      const rec = recording();
      const glue = mode === 'remote' ? await glues.fastify!(rec.handler) : undefined;
      try {
        const open = () => tunnels.open(glue ? { receiveUrl: glue.url } : { handler: rec.handler });
        const [a, b] = [await open(), await open()];
        const [ca, cb] = [await client(a.connectUrl), await client(b.connectUrl)];
        await until(() => rec.events.filter((e) => e.startsWith('connect')).length === 2, 'connects');
        assert.deepEqual(await tunnels.join('lobby', [a.tunnelId, b.tunnelId, 'ghost']), {
          invalidTunnelIds: ['ghost'],
        });
        assert.deepEqual(await tunnels.presence(['lobby', 'nobody']), { lobby: 2, nobody: 0 });
        await tunnels.toRooms(['lobby'], 'news', { n: 1 });
        await until(() => [ca, cb].every((c) => c.frames.some((f) => f.includes('"news"'))), 'room message');
        await tunnels.leave('lobby', [b.tunnelId]);
        assert.deepEqual(await tunnels.presence(['lobby']), { lobby: 1 });
        const sent = await tunnels.send(b.tunnelId, 'dm', 'hi');
        assert.deepEqual(sent.data.invalidTunnelIds, []);
        await until(
          () => cb.frames.some((f) => f === `message:${JSON.stringify({ type: 'dm', content: 'hi' })}`),
          'dm',
        );
        ca.ws.send(`message:${JSON.stringify({ type: 'speak', content: { word: 'w' } })}`);
        await until(
          () => rec.events.some((e) => e.startsWith(`message ${a.tunnelId} speak`)),
          'message event',
        );
        await tunnels.close([a.tunnelId, b.tunnelId]);
        await until(() => rec.events.filter((e) => e.startsWith('close')).length === 2, 'closes');
      } finally {
        await glue?.close();
      }
    });
  }
});

describe('receiveUrl glue', () => {
  for (const [name, make] of Object.entries(glues)) {
    test(`${name}: signed callbacks become handler calls; forged ones are refused`, async () => {
      const rec = recording();
      const glue = await make(rec.handler);
      try {
        const tunnels = new HutongTunnels(
          new RemoteTunnelBackend({
            tunnelServerUrl: `${stack.url}/tunnel`,
            signatureKey: devTunnelSignatureKey,
          }),
        );
        const grant = await tunnels.open({ receiveUrl: glue.url });
        const c = await client(grant.connectUrl);
        c.ws.send(`message:${JSON.stringify({ type: 'speak', content: 1 })}`);
        c.ws.send('close');
        await until(() => rec.events.length === 3, 'three events');
        assert.deepEqual(rec.events, [
          `connect ${grant.tunnelId}`,
          `message ${grant.tunnelId} speak 1`,
          `close ${grant.tunnelId}`,
        ]);
        const forged = await fetch(glue.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ data: '{"tunnelId":"x","type":"connect"}', signature: 'nope' }),
        });
        assert.equal(forged.status, 400);
        assert.equal(((await forged.json()) as { code: number }).code, 9003);
        assert.equal(rec.events.length, 3);
      } finally {
        await glue.close();
      }
    });
  }
});
