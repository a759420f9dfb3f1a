import { createSimServer, type SimServer, type SimServerOptions } from '@hutong/wechat-sim';

/** A simulator on port 0 with a clock the test moves by hand. */
export interface SimHarness extends SimServer {
  clock: { now: number; advance(ms: number): void };
  /** GET a platform path; the parsed JSON body (WeChat always answers 200). */
  get(path: string, query: Record<string, string>): Promise<Record<string, unknown>>;
  /** POST JSON (or a raw string); status and parsed body. */
  post(
    path: string,
    body?: unknown,
    raw?: string,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /** `/sim/login`, then the code and openid. */
  login(body?: Record<string, unknown>): Promise<{ code: string; openid: string; appid: string }>;
}

export async function startSim(options: Omit<SimServerOptions, 'now'> = {}): Promise<SimHarness> {
  const clock = {
    now: Date.UTC(2024, 0, 1),
    advance(ms: number) {
      clock.now += ms;
    },
  };
  const server = await createSimServer({ ...options, now: () => clock.now });
  const harness: SimHarness = {
    ...server,
    clock,
    async get(path, query) {
      const response = await fetch(`${server.url}${path}?${new URLSearchParams(query)}`);
      if (response.status !== 200) throw new Error(`HTTP ${response.status} for ${path}`);
      return (await response.json()) as Record<string, unknown>;
    },
    async post(path, body, raw) {
      const init: RequestInit = { method: 'POST' };
      if (raw !== undefined || body !== undefined) {
        init.headers = { 'content-type': 'application/json' };
        init.body = raw ?? JSON.stringify(body);
      }
      const response = await fetch(`${server.url}${path}`, init);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async login(body = {}) {
      const { status, body: reply } = await harness.post('/sim/login', body);
      if (status !== 200) throw new Error(`login failed: ${JSON.stringify(reply)}`);
      return reply as { code: string; openid: string; appid: string };
    },
  };
  return harness;
}

export const APP_A = { appid: 'wxaaaaaaaaaaaaaaaa', secret: 'a'.repeat(32), unionid: true };
export const APP_B = { appid: 'wxbbbbbbbbbbbbbbbb', secret: 'b'.repeat(32) };

export const code2session = (sim: SimHarness, app: { appid: string; secret: string }, code: string) =>
  sim.get('/sns/jscode2session', {
    appid: app.appid,
    secret: app.secret,
    js_code: code,
    grant_type: 'authorization_code',
  });

/** WeChat's error shape: the code, and an errmsg starting with the given text then a request id. */
export function assertWxError(body: Record<string, unknown>, errcode: number, text: string): void {
  if (body['errcode'] !== errcode)
    throw new Error(`expected errcode ${errcode}, got ${JSON.stringify(body)}`);
  const errmsg = String(body['errmsg']);
  if (!errmsg.startsWith(text) || !/rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/.test(errmsg)) {
    throw new Error(`unexpected errmsg "${errmsg}" (want "${text}…, rid: …")`);
  }
}
