/**
 * WebhookReceiver's failures say why: an event the business server never got is dropped with the
 * network error's code in the log line and in the error (a refused connection, TLS spoken to a
 * plain HTTP server), not a bare status 0.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { WebhookReceiver } from '../src/index.js';

type Logged = { fields: Record<string, unknown>; message: string };
const recorder = () => {
  const lines: Logged[] = [];
  const logger = {
    warn: (fields: Record<string, unknown>, message: string) => void lines.push({ fields, message }),
  } as unknown as NonNullable<ConstructorParameters<typeof WebhookReceiver>[1]['logger']>;
  return { lines, logger };
};
const event = { tunnelId: 't1', type: 'connect' as const };

test('https:// to a plain HTTP business server: dropped with the TLS error named', async () => {
  const server = createServer((_req, res) => res.end('{"code":0}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const { lines, logger } = recorder();
  try {
    const receiver = new WebhookReceiver(`https://127.0.0.1:${port}/tunnel`, {
      key: 'k',
      retryDelaysMs: [],
      logger,
    });
    await assert.rejects(receiver.deliver(event), (error: { code?: string; message?: string }) => {
      assert.equal(error.code, 'ERR_TUNNEL_DELIVERY');
      assert.match(error.message ?? '', /could not be reached \((EPROTO|ERR_SSL_[A-Z_]+)/);
      return true;
    });
    assert.equal(lines.length, 1);
    const { fields, message } = lines[0]!;
    assert.match(message, /could not be reached \((EPROTO|ERR_SSL_[A-Z_]+)\)/);
    assert.equal(fields['status'], 0);
    assert.match(String((fields['error'] as { code: string }).code), /EPROTO|ERR_SSL_/);
    assert.equal(fields['receiver'], `https://127.0.0.1:${port}/tunnel`);
    // The same server over http:// takes it.
    await new WebhookReceiver(`http://127.0.0.1:${port}/tunnel`, { key: 'k', retryDelaysMs: [] }).deliver(
      event,
    );
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('nobody listening: dropped after the retries with ECONNREFUSED named', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  const { lines, logger } = recorder();
  let retries = 0;
  const receiver = new WebhookReceiver(`http://127.0.0.1:${port}/`, {
    key: 'k',
    retryDelaysMs: [1, 1],
    logger,
    onRetry: () => {
      retries += 1;
    },
  });
  await assert.rejects(receiver.deliver(event), /ECONNREFUSED/);
  assert.equal(retries, 2);
  assert.match(lines[0]!.message, /\(ECONNREFUSED\)/);
  assert.equal(lines[0]!.fields['attempts'], 3);
});
