/**
 * IM benchmark server child: `hutong` (a createHutong node; its IM store and broker come from the
 * environment the parent sets) or `socketio` (a Socket.IO 4 chat doing the same job with
 * acknowledgements, no storage). Prints one JSON line `{url}` when ready. Control route: GET
 * /bench/stats → CPU time used so far, memory, event-loop delay since the previous call, and the
 * server's message counters. SIGTERM exits cleanly, so `--cpu-prof` (BENCH_SERVER_FLAGS) writes
 * its profile.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createHutong } from '@hutong/server';
import { type Socket, Server as SocketIo } from 'socket.io';
import { benchConfig } from '../support.js';
import { counts, countWire } from './store-counters.js';

const kind = process.argv[2];

/** Event-loop delay since the last stats call: how long a frame can wait behind other work. */
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
const stats = (extra: object = {}) => {
  const { user, system } = process.cpuUsage();
  const delay = { loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6 };
  loop.reset();
  return { cpuMs: (user + system) / 1000, rss: process.memoryUsage().rss, ...delay, ...extra };
};

async function hutong(): Promise<string> {
  const env = process.env;
  // The store's round trips and commits, reported with the stats (bench/im/sweep.ts).
  if (env.BENCH_COUNT_WIRE === '1') countWire();
  const config = benchConfig({
    HUTONG_LOG_LEVEL: env.BENCH_LOG_LEVEL ?? 'silent',
    // The load generator sends no keep-alives; a phase's pauses must not close connections.
    HUTONG_IM_IDLE: '600',
    HUTONG_DATA_DIR: env.BENCH_DATA_DIR!,
    HUTONG_IM_STORE: env.BENCH_IM_STORE!,
    HUTONG_IM_STORE_URL: env.BENCH_IM_STORE_URL!,
    ...(env.HUTONG_BROKER_URL ? { HUTONG_BROKER_URL: env.HUTONG_BROKER_URL } : {}),
  });
  const node = await createHutong(config, {
    purgeIntervalMs: 0,
    // Apps with their own user ids pass their own verifier; the bench accepts `token-<userId>`.
    imVerifyLogin: async ({ userId, token }) =>
      token === `token-${userId}` ? { ok: true } : { ok: false, code: 1025 },
    imMaxMessagesPerSecond: Number(env.BENCH_IM_MAX_RATE ?? 100_000),
  });
  node.app.get('/bench/stats', async () => stats({ im: node.im.stats, wire: { ...counts } }));
  process.on('SIGTERM', () => {
    node.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  });
  await node.listen();
  return node.publicUrl;
}

interface ChatMessage {
  to: string;
  id: string;
  body: string;
}

/**
 * The Socket.IO peer: each socket authenticates as a user (`auth.userId` in the CONNECT packet);
 * `msg` with an ack callback → the sender's ack ("accepted"; nothing is stored), then the
 * recipient gets `msg` with `timeout().emit(…, ack)`, resent up to 3 times on a 3 s timeout (as
 * Hutong resends), and its ack sends the sender a `receipt`.
 */
async function socketIo(): Promise<string> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/socket.io')) return;
    if (req.url === '/bench/stats') res.end(JSON.stringify(stats({ im: counters })));
    else res.writeHead(404).end();
  });
  const io = new SocketIo(server, {
    transports: ['websocket'],
    perMessageDeflate: false,
    serveClient: false,
  });
  const users = new Map<string, Socket>();
  const counters = { accepted: 0, delivered: 0, resent: 0, offline: 0 };
  const forward = (from: string, message: ChatMessage, tries: number) => {
    const recipient = users.get(message.to);
    if (!recipient) {
      counters.offline += 1;
      return;
    }
    recipient.timeout(3000).emit('msg', { from, id: message.id, body: message.body }, (err: unknown) => {
      if (err) {
        if (tries < 3) {
          counters.resent += 1;
          forward(from, message, tries + 1);
        }
        return;
      }
      counters.delivered += 1;
      users.get(from)?.emit('receipt', { id: message.id, by: message.to });
    });
  };
  io.on('connection', (socket) => {
    const userId = String((socket.handshake.auth as { userId?: unknown }).userId ?? '');
    if (!userId) {
      socket.disconnect(true);
      return;
    }
    users.set(userId, socket);
    socket.on('disconnect', () => {
      if (users.get(userId) === socket) users.delete(userId);
    });
    socket.on('msg', (message: ChatMessage, ack: (answer: object) => void) => {
      counters.accepted += 1;
      ack({ id: message.id });
      forward(userId, message, 0);
    });
  });
  process.on('SIGTERM', () => process.exit(0));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const url = await (kind === 'hutong' ? hutong() : socketIo());
process.stdout.write(`${JSON.stringify({ url })}\n`);
