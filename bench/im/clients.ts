/**
 * IM load-generator child: logs in users speaking one protocol with raw `ws` — Hutong's MobileIMSDK
 * `Protocal` frames or Socket.IO 4 (engine.io v4 framing by hand) — so the client cost is alike for
 * both servers. Both users of a pair live in this process, so one clock (`performance.now()`)
 * times a message from its send to its delivery (the recipient has it) and to its receipt (the
 * sender is told it was delivered). Messages from the parent (IPC): {op: 'open', kind, users},
 * {op: 'rate', rate, ms, drainMs} (a fixed offered load), {op: 'window', window, ms, drainMs}
 * (saturation: each sender keeps `window` messages without a receipt in flight), {op: 'close'}.
 */
import WebSocket from 'ws';

type Kind = 'hutong' | 'socketio';
interface UserSpec {
  id: string;
  peer: string;
  /** The server's base URL (http://…); the path is the protocol's. */
  url: string;
}
interface User extends UserSpec {
  ws: WebSocket;
  sent: number;
  /** Messages sent and not yet receipted (the saturation window). */
  open: number;
  /** Socket.IO: the next ack id this socket uses. */
  ackId: number;
}
/** A message this process sent, by its id (Hutong `fp`). */
interface Sent {
  user: User;
  at: number;
  delivered: boolean;
}

const BODY = 'x'.repeat(100);
let kind: Kind = 'hutong';
const users: User[] = [];
const sent = new Map<string, Sent>();

/** What a phase records; reset at each phase start. */
let phase = {
  active: false,
  refill: 0,
  start: 0,
  end: 0,
  sent: 0,
  delivered: [] as number[],
  receipts: [] as number[],
  accepted: [] as number[],
  deliveredInPhase: 0,
  duplicates: 0,
  errors: {} as Record<string, number>,
};

function error(code: string): void {
  phase.errors[code] = (phase.errors[code] ?? 0) + 1;
}

function sendMessage(user: User): void {
  const id = `${user.id}.${user.sent}`;
  user.sent += 1;
  user.open += 1;
  phase.sent += 1;
  sent.set(id, { user, at: performance.now(), delivered: false });
  if (kind === 'hutong') writeHutong(user, id);
  else {
    user.ackId += 1;
    user.ws.send(`42${user.ackId}${JSON.stringify(['msg', { to: user.peer, id, body: BODY }])}`);
  }
}

function writeHutong(user: User, id: string): void {
  user.ws.send(
    JSON.stringify({ type: 2, dataContent: BODY, from: user.id, to: user.peer, fp: id, QoS: true, typeu: 0 }),
  );
}

/**
 * Error 52. 1504 (the server is behind: backpressure) names the message in `fp` and says when to
 * send it again, which a client does, as Hutong's does: the message keeps its first send time.
 */
function onHutongError(frame: { dataContent?: string; fp?: string }): void {
  const { errorCode, retryAfterMs } = JSON.parse(frame.dataContent!) as {
    errorCode: number;
    retryAfterMs?: number;
  };
  error(`hutong ${errorCode}`);
  const message = frame.fp === undefined ? undefined : sent.get(frame.fp);
  if (errorCode !== 1504 || !message) return;
  const id = frame.fp!;
  setTimeout(() => {
    if (sent.get(id) === message && message.user.ws.readyState === WebSocket.OPEN)
      writeHutong(message.user, id);
  }, retryAfterMs ?? 1000);
}

function onAccepted(id: string): void {
  const message = sent.get(id);
  if (message) phase.accepted.push(performance.now() - message.at);
}

function onDelivered(id: string): void {
  const message = sent.get(id);
  if (!message || message.delivered) {
    phase.duplicates += 1;
    return;
  }
  message.delivered = true;
  const now = performance.now();
  phase.delivered.push(now - message.at);
  if (now <= phase.end) phase.deliveredInPhase += 1;
}

function onReceipt(id: string): void {
  const message = sent.get(id);
  if (!message) return;
  sent.delete(id);
  phase.receipts.push(performance.now() - message.at);
  message.user.open -= 1;
  if (phase.active && phase.refill > 0) sendMessage(message.user);
}

function onHutong(user: User, raw: string): void {
  const frame = JSON.parse(raw) as { type: number; dataContent?: string; from?: string; fp?: string };
  switch (frame.type) {
    case 2:
      // Delivered: acknowledge it to the server, naming its sender.
      onDelivered(frame.fp!);
      user.ws.send(JSON.stringify({ type: 4, dataContent: frame.fp, from: user.id, to: frame.from }));
      return;
    case 4:
      onAccepted(frame.dataContent!);
      return;
    case 60:
      onReceipt((JSON.parse(frame.dataContent!) as { fp: string }).fp);
      return;
    case 52:
      onHutongError(frame);
      return;
  }
}

function onSocketIo(user: User, raw: string): void {
  if (raw === '2') {
    user.ws.send('3'); // engine.io ping → pong
    return;
  }
  if (!raw.startsWith('4')) return;
  const type = raw[1];
  let at = 2;
  while (raw.charCodeAt(at) >= 48 && raw.charCodeAt(at) <= 57) at += 1;
  const ackId = raw.slice(2, at);
  const data = JSON.parse(raw.slice(at)) as unknown[];
  if (type === '3') {
    onAccepted((data[0] as { id: string }).id); // our emit's ack: the server has it
    return;
  }
  if (type !== '2') return;
  const [event, payload] = data as [string, { id: string }];
  if (event === 'msg') {
    onDelivered(payload.id);
    user.ws.send(`43${ackId}[]`);
  } else if (event === 'receipt') onReceipt(payload.id);
}

function login(spec: UserSpec): Promise<void> {
  return new Promise((resolve, reject) => {
    const url =
      kind === 'hutong'
        ? `${spec.url.replace(/^http/, 'ws')}/im`
        : `${spec.url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const user: User = { ...spec, ws, sent: 0, open: 0, ackId: 0 };
    const ready = () => {
      users.push(user);
      ws.off('message', handshake);
      ws.on('message', (data) => (kind === 'hutong' ? onHutong : onSocketIo)(user, String(data)));
      resolve();
    };
    const handshake = (data: WebSocket.RawData) => {
      const text = String(data);
      if (kind === 'hutong') {
        const frame = JSON.parse(text) as { type: number; dataContent: string };
        if (frame.type !== 50) return;
        const { code } = JSON.parse(frame.dataContent) as { code: number };
        if (code === 0) ready();
        else reject(new Error(`login of ${spec.id} refused: ${code}`));
      } else if (text.startsWith('0')) {
        ws.send(`40${JSON.stringify({ userId: spec.id })}`); // engine.io open → CONNECT with auth
      } else if (text.startsWith('40')) ready();
    };
    ws.on('message', handshake);
    ws.on('error', reject);
    if (kind === 'hutong') {
      ws.once('open', () =>
        ws.send(
          JSON.stringify({
            type: 0,
            dataContent: JSON.stringify({
              loginUserId: spec.id,
              loginToken: `token-${spec.id}`,
              firstLoginTime: 0,
            }),
            from: spec.id,
            to: '0',
          }),
        ),
      );
    }
  });
}

function begin(ms: number, refill: number): void {
  const now = performance.now();
  phase = {
    active: true,
    refill,
    start: now,
    end: now + ms,
    sent: 0,
    delivered: [],
    receipts: [],
    accepted: [],
    deliveredInPhase: 0,
    duplicates: 0,
    errors: {},
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** After the phase: wait (bounded) for the receipts of what is still in flight, then report. */
async function finish(drainMs: number, cpu0: NodeJS.CpuUsage): Promise<object> {
  phase.active = false;
  const cpu = process.cpuUsage(cpu0);
  const deadline = performance.now() + drainMs;
  while (sent.size > 0 && performance.now() < deadline) await sleep(20);
  const notDelivered = [...sent.values()].filter((m) => !m.delivered).length;
  const noReceipt = sent.size;
  sent.clear();
  for (const user of users) user.open = 0;
  return {
    op: 'done',
    sent: phase.sent,
    delivered: phase.delivered,
    receipts: phase.receipts,
    accepted: phase.accepted,
    deliveredInPhase: phase.deliveredInPhase,
    duplicates: phase.duplicates,
    notDelivered,
    noReceipt,
    errors: phase.errors,
    clientCpuMs: (cpu.user + cpu.system) / 1000,
  };
}

/** A fixed offered load: `rate` messages a second from this process's users in turn. */
async function rate(perSecond: number, ms: number, drainMs: number): Promise<object> {
  const cpu0 = process.cpuUsage();
  begin(ms, 0);
  let next = 0;
  while (performance.now() < phase.end) {
    // Catch up with the schedule even when a tick comes late, so the offered load stays fixed.
    const due = Math.floor(((performance.now() - phase.start) * perSecond) / 1000);
    for (; phase.sent < due; next += 1) sendMessage(users[next % users.length]!);
    await sleep(2);
  }
  return finish(drainMs, cpu0);
}

/** Saturation: every user keeps `window` messages without a receipt in flight. */
async function saturate(window: number, ms: number, drainMs: number): Promise<object> {
  const cpu0 = process.cpuUsage();
  begin(ms, 1);
  for (let k = 0; k < window; k += 1) for (const user of users) sendMessage(user);
  await sleep(ms);
  return finish(drainMs, cpu0);
}

process.on(
  'message',
  async (message: {
    op: string;
    kind?: Kind;
    users?: UserSpec[];
    rate?: number;
    window?: number;
    ms?: number;
    drainMs?: number;
  }) => {
    if (message.op === 'open') {
      kind = message.kind!;
      const specs = message.users!;
      for (let i = 0; i < specs.length; i += 50) await Promise.all(specs.slice(i, i + 50).map(login));
      process.send?.({ op: 'opened', count: users.length });
    } else if (message.op === 'rate') {
      process.send?.(await rate(message.rate!, message.ms!, message.drainMs!));
    } else if (message.op === 'window') {
      process.send?.(await saturate(message.window!, message.ms!, message.drainMs!));
    } else if (message.op === 'close') {
      for (const user of users) user.ws.terminate();
      process.exit(0);
    }
  },
);
