/**
 * Child process for the session benchmark: a dev stack on the store named by HUTONG_STORE (or the
 * bare Fastify peer with `--bare`), seeded with sessions. Prints one JSON line: {url, skeys}.
 */
import Fastify from 'fastify';
import { startDevStack } from '../apps/dev/src/stack.js';

const SEEDED = 200;

async function bare(): Promise<void> {
  const app = Fastify({ logger: false });
  app.get('/bare', async () => ({ ok: true }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`${JSON.stringify({ url, path: '/bare', skeys: [] })}\n`);
}

async function stack(): Promise<void> {
  const dev = await startDevStack({
    env: { ...process.env, PORT: '0', HUTONG_LOGIN_RATE_PER_IP: '0', HUTONG_LOG_LEVEL: 'silent' },
  });
  const skeys: string[] = [];
  for (let i = 0; i < SEEDED; i += 1) {
    const device = await fetch(`${dev.url}/__wx/sim/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const { code } = (await device.json()) as { code: string };
    const login = await fetch(`${dev.url}/api/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    skeys.push(((await login.json()) as { skey: string }).skey);
  }
  process.stdout.write(`${JSON.stringify({ url: dev.url, path: '/api/v1/session', skeys })}\n`);
  process.on('SIGTERM', () => {
    dev.close().then(() => process.exit(0));
  });
}

await (process.argv.includes('--bare') ? bare() : stack());
