/**
 * Benchmark server child: `hutong`, `ws` (bare) or `socketio`, each doing the same job — hold
 * idle connections, broadcast one payload to all on request, echo what a client sends. Prints one
 * JSON line `{url}` when ready. Control routes: GET /bench/mem (after a GC), POST /bench/broadcast
 * with the payload as body (ws, socketio), GET /bench/alloc?n= (hutong: tunnels with an echoing
 * in-process handler; Hutong broadcasts through its Wafer push API).
 */
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Session } from 'node:inspector/promises';
import { createHutong, HandlerReceiver } from '@hutong/server';
import { Server as SocketIo } from 'socket.io';
import { WebSocketServer } from 'ws';
import { benchConfig } from '../support.js';

const kind = process.argv[2];
const gc = (globalThis as { gc?: () => void }).gc;
const mem = () => {
  gc?.();
  gc?.();
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
};

/**
 * CPU profiling of one phase: `/bench/profile?op=start`, then `?op=stop&file=<path>` writes a
 * .cpuprofile of what ran in between (bench/tunnel/profile.ts drives it).
 */
let profiler: Session | undefined;
async function profile(op: string | null, file: string | null): Promise<object> {
  if (op === 'start') {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    return { started: true };
  }
  if (!profiler) return { error: 'not started' };
  const { profile: result } = await profiler.post('Profiler.stop');
  profiler.disconnect();
  profiler = undefined;
  writeFileSync(file ?? 'bench.cpuprofile', JSON.stringify(result));
  return { written: file };
}

function control(req: IncomingMessage, res: ServerResponse, broadcast: (text: string) => void): boolean {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/bench/mem') {
    res.end(JSON.stringify(mem()));
    return true;
  }
  if (url.pathname === '/bench/profile') {
    void profile(url.searchParams.get('op'), url.searchParams.get('file')).then((r) =>
      res.end(JSON.stringify(r)),
    );
    return true;
  }
  if (url.pathname === '/bench/broadcast') {
    // The payload (with the parent's timestamp) is the body, as for Hutong's push API.
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      broadcast(body);
      res.end('{}');
    });
    return true;
  }
  return false;
}

async function hutong(): Promise<string> {
  const config = benchConfig({ HUTONG_TUNNEL_HEARTBEAT: '60' });
  const node = await createHutong(config, { purgeIntervalMs: 0 });
  const { router } = node;
  const echo = new HandlerReceiver({
    onMessage: (id, type, content) => {
      if (type === 'echo')
        void router.push([
          { tunnelIds: [id], type: 'message', content: JSON.stringify({ type: 'echo', content }) },
        ]);
    },
  });
  node.app.get('/bench/mem', async () => mem());
  node.app.get<{ Querystring: { op: string; file?: string } }>('/bench/profile', async (request) =>
    profile(request.query.op, request.query.file ?? null),
  );
  node.app.get<{ Querystring: { n: string } }>('/bench/alloc', async (request) =>
    Array.from({ length: Number(request.query.n) }, () => node.tunnels.allocate(echo)),
  );
  await node.listen();
  return node.publicUrl;
}

async function bareWs(): Promise<string> {
  const clients = new Set<import('ws').WebSocket>();
  const server = createServer((req, res) => {
    if (
      !control(req, res, (text) => {
        const data = Buffer.from(text);
        for (const ws of clients) ws.send(data, { binary: false });
      })
    )
      res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ server, perMessageDeflate: false, maxPayload: 64 * 1024 });
  wss.on('connection', (ws) => {
    clients.add(ws);
    ws.on('message', (data) => ws.send(data, { binary: false }));
    ws.on('close', () => clients.delete(ws));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
}

async function socketIo(): Promise<string> {
  let io: SocketIo | undefined;
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/socket.io')) return;
    if (!control(req, res, (text) => io?.emit('m', text))) res.writeHead(404).end();
  });
  io = new SocketIo(server, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
  io.on('connection', (socket) => {
    socket.on('e', (data: unknown) => socket.emit('e', data));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
}

const url = await (kind === 'hutong' ? hutong() : kind === 'ws' ? bareWs() : socketIo());
process.stdout.write(`${JSON.stringify({ url })}\n`);
process.on('SIGTERM', () => process.exit(0));

// BENCH_SERVER_STATS=1: every 5 s, GC pauses and event-loop delay on stderr (to see where tail
// latency comes from).
if (process.env.BENCH_SERVER_STATS === '1') {
  const { monitorEventLoopDelay, PerformanceObserver } = await import('node:perf_hooks');
  const pauses: number[] = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) pauses.push(entry.duration);
  }).observe({ entryTypes: ['gc'] });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  setInterval(() => {
    const total = pauses.reduce((a, b) => a + b, 0);
    process.stderr.write(
      `[${kind}] gc ${pauses.length}× ${total.toFixed(1)} ms (max ${Math.max(0, ...pauses).toFixed(1)}); loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(2)} ms, max ${(delay.max / 1e6).toFixed(1)} ms\n`,
    );
    pauses.length = 0;
    delay.reset();
  }, 5000).unref();
}
