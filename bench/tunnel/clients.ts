/**
 * Load-generator child: opens connections speaking one protocol with raw `ws` (so the client cost
 * is the same for every server), records broadcast latencies and echo round trips, and reports to
 * the parent over IPC. For Hutong each connection first asks for a tunnel with a signed
 * `POST /tunnel/get/wsurl`, as a business server does for its mini program.
 *
 * Messages from the parent: {op: 'open', kind, target, count, group} (opens `count` connections
 * into `group`, 'idle' or 'echo'), {op: 'ids'} (the idle group's tunnel ids), {op: 'echo', rate,
 * ms} (on the echo group), {op: 'report'}, {op: 'close', group?}.
 */
import { Agent } from 'node:http';
import { tunnelSignature } from '@hutong/protocol/wafer-signature';
import WebSocket from 'ws';
import { postJson } from './http-post.js';

/** The business server's connections to the tunnel API, kept open as a busy one keeps them. */
const agent = new Agent({ keepAlive: true, maxSockets: 100 });

type Kind = 'hutong' | 'ws' | 'socketio';
type Group = 'idle' | 'echo';

/** Where the connections go: given URLs (ws, Socket.IO, in-process Hutong tunnels) or get/wsurl. */
type Target = { urls: string[] } | { wsurl: string; receiveUrl: string; key: string };

const groups: Record<Group, WebSocket[]> = { idle: [], echo: [] };
/** Per broadcast payload time `t`: how many got it, and the latest arrival. */
const broadcasts = new Map<number, { count: number; last: number }>();
const rtts: number[] = [];
let kind: Kind = 'ws';
/** The source address of this generator's connections (a capacity run spreads them over several). */
let localAddress: string | undefined;

const send = (message: object) => process.send?.(message);

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
    onPayload(message.content);
  } else if (raw === '2') {
    ws.send('3'); // engine.io ping → pong
  } else if (raw.startsWith('0')) {
    ws.send('40'); // engine.io open → socket.io connect to "/"
  } else if (raw.startsWith('42')) {
    const [, data] = JSON.parse(raw.slice(2)) as [string, unknown];
    onPayload(data);
  }
}

/** A tunnel from the Wafer API: a signed get/wsurl, as the official server SDKs send it. */
async function allocate(target: { wsurl: string; receiveUrl: string; key: string }): Promise<string> {
  const data = JSON.stringify({ receiveUrl: target.receiveUrl, protocolType: 'wss' });
  const body = JSON.stringify({ data, tcId: 'bench', signature: tunnelSignature(data, target.key) });
  const text = await postJson(agent, target.wsurl, body);
  const answer = JSON.parse(text) as { code: number; data: string };
  if (answer.code !== 0) throw new Error(`get/wsurl answered ${text}`);
  return (JSON.parse(answer.data) as { connectUrl: string }).connectUrl;
}

function connect(url: string, group: Group): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, ...(localAddress ? { localAddress } : {}) });
    ws.on('message', (data) => onFrame(ws, String(data)));
    ws.on('error', reject);
    const ready = () => {
      groups[group].push(ws);
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

async function openOne(target: Target, i: number, group: Group): Promise<void> {
  if ('wsurl' in target) return connect(await allocate(target), group);
  return connect(target.urls[i % target.urls.length]!, group);
}

function echoMessage(t: number): string {
  if (kind === 'hutong') return `message:${JSON.stringify({ type: 'echo', content: { e: t } })}`;
  if (kind === 'socketio') return `42${JSON.stringify(['e', { e: t }])}`;
  return JSON.stringify({ e: t });
}

async function echo(rate: number, ms: number): Promise<void> {
  const sockets = groups.echo;
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

interface Message {
  op: string;
  kind?: Kind;
  target?: Target;
  count?: number;
  group?: Group;
  rate?: number;
  ms?: number;
  /** Count refused connections instead of failing (a server holding as many as it can). */
  tolerant?: boolean;
  localAddress?: string;
}

process.on('message', async (message: Message) => {
  if (message.op === 'open') {
    kind = message.kind!;
    const { target, count, group } = message as Required<Message>;
    localAddress = message.localAddress;
    const started = performance.now();
    let refused = 0;
    // 100 at a time, as a crowd of phones reconnecting after a deploy would come.
    for (let i = 0; i < count; i += 100) {
      const batch = Array.from({ length: Math.min(100, count - i) }, (_, k) => openOne(target, i + k, group));
      if (!message.tolerant) await Promise.all(batch);
      else
        for (const result of await Promise.allSettled(batch)) if (result.status === 'rejected') refused += 1;
    }
    send({ op: 'opened', count: groups[group].length, refused, ms: performance.now() - started });
  } else if (message.op === 'echo') {
    rtts.length = 0;
    await echo(message.rate!, message.ms!);
    send({ op: 'echoed', rtts });
  } else if (message.op === 'ids') {
    const ids = groups.idle.map((ws) => new URL(ws.url).searchParams.get('tunnelId') ?? '');
    send({ op: 'ids', ids });
  } else if (message.op === 'report') {
    send({ op: 'report', broadcasts: [...broadcasts.entries()], cpu: process.cpuUsage() });
  } else if (message.op === 'close') {
    const closing = message.group ? [message.group] : (['idle', 'echo'] as const);
    for (const group of closing) {
      for (const ws of groups[group]) ws.terminate();
      groups[group] = [];
    }
    if (!message.group) process.exit(0);
    send({ op: 'closed' });
  }
});
