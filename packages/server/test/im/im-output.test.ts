/** ImOutput: the frames a socket gets in one turn of the event loop leave in one write, in order. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { until } from '@hutong/core/testing';
import WebSocket, { WebSocketServer } from 'ws';
import { SendBudget } from '../../src/http/send-budget.js';
import { ImOutput } from '../../src/im/im-output.js';

test('frames of one turn: one write per socket, in order; a later turn writes again', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const got: string[] = [];
  client.on('message', (data) => got.push(String(data)));
  const ws = await accepted;
  type Write = (...args: unknown[]) => unknown;
  const socket = (ws as unknown as { _socket: Record<'_write' | '_writev', Write> })._socket;
  let writes = 0;
  for (const name of ['_write', '_writev'] as const) {
    const original = socket[name].bind(socket) as Write;
    socket[name] = (...args: unknown[]) => {
      writes += 1;
      return original(...args);
    };
  }
  const output = new ImOutput(new SendBudget(1024 * 1024, () => {}));
  output.text(ws, 'one');
  output.text(ws, 'two');
  output.send(ws, { type: 51, dataContent: '{}', from: '0', to: 'u' });
  await until(() => got.length === 3, 'three frames');
  assert.deepEqual(got.slice(0, 2), ['one', 'two']);
  assert.equal(JSON.parse(got[2]!).type, 51);
  assert.equal(writes, 1, 'one write for the turn');
  output.text(ws, 'later');
  await until(() => got.length === 4, 'the fourth frame');
  assert.equal(writes, 2);
  client.close();
  wss.close();
});
