/**
 * Load-generator child: opens connections speaking one protocol with raw `ws` (so the client cost
 * is the same for every server), records broadcast latencies and echo round trips, and reports to
 * the parent over IPC. Messages from the parent: {op: 'open', kind, urls}, {op: 'echo', rate, ms},
 * {op: 'report'}, {op: 'close'}.
 */
import WebSocket from 'ws';

type Kind = 'hutong' | 'ws' | 'socketio';
const sockets: WebSocket[] = [];
/** Per broadcast payload time `t`: how many got it, and the latest arrival. */
const broadcasts = new Map<number, { count: number; last: number }>();
const rtts: number[] = [];
let kind: Kind = 'ws';

const send = (text: string) => process.send?.(JSON.parse(text));

/** A broadcast payload arrives as text; an echo as the object the client sent. */
function onPayload(payload: unknown): void {
  const value = (typeof payload === 'string' ? JSON.parse(payload) : payload) as { t?: number; e?: number };
  if (typeof value.e === 'number') {
    rtts.push(performance.now() - value.e);
    return;
  }
  if (typeof value.t !== 'number') return;
  const entry = broadcasts.get(value.t) ?? { count: 0, last: 0 };
  entry.count += 1;
  entry.last = Math.max(entry.last, Date.now() - value.t);
  broadcasts.set(value.t, entry);
}

function onFrame(ws: WebSocket, raw: string): void {
  if (kind === 'ws') {
    onPayload(JSON.parse(raw));
  } else if (kind === 'hutong') {
    if (!raw.startsWith('message:')) return;
    const message = JSON.parse(raw.slice(8)) as { type: string; content: unknown };
    const { content } = message;
    onPayload(content);
  } else if (raw === '2') {
    ws.send('3'); // engine.io ping → pong
  } else if (raw.startsWith('0')) {
    ws.send('40'); // engine.io open → socket.io connect to "/"
  } else if (raw.startsWith('42')) {
    const [, data] = JSON.parse(raw.slice(2)) as [string, unknown];
    onPayload(data);
  }
}

function open(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('message', (data) => onFrame(ws, String(data)));
    ws.on('error', reject);
    const ready = () => {
      sockets.push(ws);
      resolve();
    };
    if (kind === 'socketio') {
      const wait = (data: WebSocket.RawData) => {
        if (String(data).startsWith('40')) {
          ws.off('message', wait);
          ready();
        }
      };
      ws.on('message', wait);
    } else ws.once('open', ready);
  });
}

function echoMessage(t: number): string {
  if (kind === 'hutong') return `message:${JSON.stringify({ type: 'echo', content: { e: t } })}`;
  if (kind === 'socketio') return `42${JSON.stringify(['e', { e: t }])}`;
  return JSON.stringify({ e: t });
}

async function echo(rate: number, ms: number): Promise<void> {
  const interval = 10;
  const perTick = Math.max(1, Math.round((rate * interval) / 1000));
  const end = Date.now() + ms;
  let i = 0;
  while (Date.now() < end) {
    for (let k = 0; k < perTick; k += 1) {
      sockets[i % sockets.length]!.send(echoMessage(performance.now()));
      i += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
}

process.on(
  'message',
  async (message: { op: string; kind?: Kind; urls?: string[]; rate?: number; ms?: number }) => {
    if (message.op === 'open') {
      kind = message.kind!;
      const urls = message.urls!;
      for (let i = 0; i < urls.length; i += 100) await Promise.all(urls.slice(i, i + 100).map(open));
      send(JSON.stringify({ op: 'opened', count: sockets.length }));
    } else if (message.op === 'echo') {
      rtts.length = 0;
      await echo(message.rate!, message.ms!);
      send(JSON.stringify({ op: 'echoed', rtts }));
    } else if (message.op === 'report') {
      send(JSON.stringify({ op: 'report', broadcasts: [...broadcasts.entries()] }));
    } else if (message.op === 'close') {
      for (const ws of sockets) ws.terminate();
      process.exit(0);
    }
  },
);
