/**
 * HTTPS and WSS from config: the certificate is served, replaced on reload (SIGHUP) without a
 * restart, kept when the new files are bad, and a bad pair at start is a configuration error
 * naming the key.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { pino } from 'pino';
import WebSocket from 'ws';
import { ConfigError, loadConfig } from '../src/config/config.js';
import { createHutong, type Hutong } from '../src/hutong.js';
import { cliTunnelKey, makeCert, testEnv } from './fixtures.js';

/** The certificate a new TLS connection to `url` is shown. */
function peer(url: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const request = get(`${url}/healthz`, { rejectUnauthorized: false, agent: false }, (response) => {
      const certificate = (response.socket as TLSSocket).getPeerCertificate();
      response.resume();
      response.on('end', () => resolve(certificate));
    });
    request.on('error', reject);
  });
}

describe('TLS', () => {
  let dir: string;
  let one: { cert: string; key: string };
  let two: { cert: string; key: string };
  let live: { cert: string; key: string };
  let hutong: Hutong;
  let listened = '';
  const logs = new PassThrough();
  const lines: string[] = [];
  logs.on('data', (chunk: Buffer) => lines.push(...String(chunk).split('\n').filter(Boolean)));
  const env = (files: { cert?: string; key?: string }) =>
    testEnv({
      ...(files.cert ? { HUTONG_TLS_CERT: files.cert } : {}),
      ...(files.key ? { HUTONG_TLS_KEY: files.key } : {}),
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hutong-tls-'));
    one = makeCert(dir, 'one');
    two = makeCert(dir, 'two');
    live = { cert: join(dir, 'live.crt'), key: join(dir, 'live.key') };
    await copyFile(one.cert, live.cert);
    await copyFile(one.key, live.key);
    hutong = await createHutong(loadConfig(env(live)), {
      purgeIntervalMs: 0,
      logger: pino({ level: 'info' }, logs),
    });
    listened = await hutong.listen();
  });
  after(async () => {
    await hutong?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('serves HTTPS and WSS with the configured certificate; the public URL is https', async () => {
    assert.match(hutong.publicUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(listened, /^https:\/\//, 'listen() answers the https address');
    const said = lines
      .map((line) => JSON.parse(line) as { msg: string })
      .find((l) => l.msg.startsWith('Server listening'));
    assert.match(
      said?.msg ?? '',
      /^Server listening at https:\/\/127\.0\.0\.1:\d+$/,
      'the log line says https',
    );
    assert.equal((await peer(hutong.publicUrl)).subject.CN, 'one');
    const ws = new WebSocket(`${hutong.publicUrl.replace('https', 'wss')}/im`, { rejectUnauthorized: false });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.close();
  });

  test('reload (SIGHUP) swaps the certificate for new connections; bad files keep the old one', async () => {
    await copyFile(two.cert, live.cert);
    await copyFile(two.key, live.key);
    assert.equal(hutong.reloadTls(), true);
    assert.equal((await peer(hutong.publicUrl)).subject.CN, 'two');
    await writeFile(live.cert, 'not a certificate');
    assert.equal(hutong.reloadTls(), false);
    assert.equal((await peer(hutong.publicUrl)).subject.CN, 'two', 'still serving the last good pair');
  });

  test('`hutong start` serves TLS and reloads it on SIGHUP', async () => {
    const files = { cert: join(dir, 'cli.crt'), key: join(dir, 'cli.key') };
    await copyFile(one.cert, files.cert);
    await copyFile(one.key, files.key);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const child = spawn(
      process.execPath,
      ['--conditions=hutong-src', '--import', 'tsx', 'packages/server/src/cli.ts', 'start'],
      {
        cwd: new URL('../../../', import.meta.url).pathname,
        env: {
          PATH: process.env['PATH'] ?? '',
          ...env(files),
          HUTONG_TUNNEL_SIGNATURE_KEY: cliTunnelKey,
          PORT: String(port),
          HUTONG_LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    try {
      const url = `https://127.0.0.1:${port}`;
      const deadline = Date.now() + 20_000;
      while (!output.includes('Hutong ready')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`not started: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal((await peer(url)).subject.CN, 'one');
      await copyFile(two.cert, files.cert);
      await copyFile(two.key, files.key);
      child.kill('SIGHUP');
      while (!output.includes('TLS certificate reloaded')) {
        if (Date.now() > deadline) throw new Error(`not reloaded: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal((await peer(url)).subject.CN, 'two');
      child.kill('SIGTERM');
      const code = await new Promise((resolve) => child.once('exit', resolve));
      assert.equal(code, 0, 'a SIGTERM drain exits cleanly');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('a bad pair at start is a configuration error naming the key', () => {
    const refused = (files: { cert?: string; key?: string }, key: string) =>
      assert.throws(
        () => loadConfig(env(files)),
        (error: unknown) => error instanceof ConfigError && error.key === key,
      );
    refused({ cert: join(dir, 'missing.crt'), key: one.key }, 'HUTONG_TLS_CERT');
    refused({ cert: one.cert, key: join(dir, 'missing.key') }, 'HUTONG_TLS_KEY');
    refused({ cert: one.cert }, 'HUTONG_TLS_KEY');
    refused({ cert: one.cert, key: two.key }, 'HUTONG_TLS_CERT');
    refused({ cert: one.key, key: one.key }, 'HUTONG_TLS_CERT');
  });
});
