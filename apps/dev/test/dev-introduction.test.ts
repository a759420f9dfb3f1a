/**
 * How the dev stack introduces itself: the banner (pages, dashboard link with a working token, the
 * dev key labelled as such), request lines kept below info, the dashboard's page for a browser
 * without a token, and a taken port explained without a stack trace.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { devBanner } from '../src/banner.js';
import { formatLogLine } from '../src/pretty-log.js';
import { type DevStack, devTunnelSignatureKey, startDevStack } from '../src/stack.js';
import { startTestStack } from './stack-fixture.js';

const env = {
  PORT: '0',
  HOST: '127.0.0.1',
  HUTONG_STORE: 'sqlite',
  HUTONG_STORE_URL: ':memory:',
  HUTONG_LOGIN_RATE_PER_IP: '0',
};

/** A pino destination keeping the parsed lines. */
function sink() {
  const lines: { level: number; msg: string }[] = [];
  return { lines, write: (line: string) => void lines.push(JSON.parse(line)) };
}

describe('the banner', () => {
  let stack: DevStack;
  let banner: string;
  before(async () => {
    stack = await startDevStack({ env: { ...env, HUTONG_LOG_LEVEL: 'silent' } });
    banner = devBanner(stack);
  });
  after(() => stack.close());

  test('names the pages, the simulator and the dev key as dev-only', () => {
    assert.ok(banner.includes(`${stack.url}/ `), banner);
    assert.ok(banner.includes(`${stack.url}/__wx`), banner);
    assert.match(banner, new RegExp(`Tunnel signature key +${devTunnelSignatureKey} +\\(dev only`));
  });

  test('prints a generated admin token whose dashboard link opens the dashboard', async () => {
    const admin = stack.admin;
    assert.ok(admin?.generated);
    assert.match(admin.token, /^[0-9a-f]{48}$/);
    assert.ok(banner.includes(`Dashboard             ${stack.url}/admin/?token=${admin.token}`), banner);
    assert.ok(banner.includes(`Admin token           ${admin.token}  (random for this start`), banner);

    const link = await fetch(admin.url, { headers: { accept: 'text/html' } });
    assert.equal(link.status, 200);
    assert.match(link.headers.get('content-type') ?? '', /^text\/html/);
    const html = await link.text();
    assert.ok(html.includes(`sessionStorage.setItem("hutong_admin_token", "${admin.token}")`), html);
    assert.ok(html.includes("location.replace('/admin/')"), html);

    const stats = await fetch(`${stack.url}/admin/api/stats`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    assert.equal(stats.status, 200);
  });

  test('a link with another token is a page saying where the right one is', async () => {
    const response = await fetch(`${stack.url}/admin/?token=not-this-one`);
    assert.equal(response.status, 403);
    const html = await response.text();
    assert.match(html, /npm start/);
    assert.match(html, /HUTONG_ADMIN_TOKEN/);
    assert.equal(html.includes(stack.admin!.token), false);
  });

  test('a configured token is used, not replaced', async () => {
    const token = 'configured-admin-token-0123456789';
    const own = await startDevStack({
      env: { ...env, HUTONG_LOG_LEVEL: 'silent', HUTONG_ADMIN_TOKEN: token },
    });
    try {
      assert.deepEqual(own.admin, { token, generated: false, url: `${own.url}/admin/?token=${token}` });
      assert.match(devBanner(own), /from your configuration/);
    } finally {
      await own.close();
    }
  });
});

describe('logs', () => {
  test('request lines are at debug: info shows none, debug shows them', async () => {
    for (const level of ['info', 'debug']) {
      const out = sink();
      const stack = await startDevStack({ env: { ...env, HUTONG_LOG_LEVEL: level }, logDestination: out });
      try {
        await (await fetch(`${stack.url}/healthz`)).text();
      } finally {
        await stack.close();
      }
      const requests = out.lines.filter((l) => /^(incoming request|request completed)$/.test(l.msg));
      if (level === 'info') assert.deepEqual(requests, []);
      else {
        assert.equal(requests.length, 2);
        for (const line of requests) assert.equal(line.level, 20);
      }
      assert.ok(
        out.lines.some((l) => l.level === 30 && /listening/.test(l.msg)),
        'info lines stay',
      );
    }
  });

  test('a terminal gets time, level, message and fields on one line', () => {
    const time = new Date(2024, 0, 2, 3, 4, 5).getTime();
    const line = JSON.stringify({
      level: 30,
      time,
      pid: 1,
      hostname: 'h',
      msg: 'request completed',
      req: { method: 'GET', url: '/healthz' },
      res: { statusCode: 200 },
      responseTime: 1.5,
    });
    assert.equal(
      formatLogLine(`${line}\n`),
      '03:04:05 INFO  request completed GET /healthz 200 responseTime=1.5\n',
    );
    const error = JSON.stringify({
      level: 50,
      time,
      msg: 'failed',
      err: { message: 'x', stack: 'Error: x\n    at f' },
    });
    assert.equal(formatLogLine(error), '03:04:05 ERROR failed\n    Error: x\n        at f\n');
    assert.equal(formatLogLine('not json'), 'not json\n');
  });
});

describe('the dashboard without a configured token', () => {
  let stack: DevStack;
  before(async () => {
    stack = await startTestStack();
  });
  after(() => stack.close());

  test('a browser gets a page saying how to open it', async () => {
    for (const path of ['/admin/', '/admin']) {
      const response = await fetch(`${stack.url}${path}`, {
        headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
      });
      assert.equal(response.status, 404, path);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      const html = await response.text();
      assert.match(html, /HUTONG_ADMIN_TOKEN/);
      assert.match(html, /adminTokenFile/);
    }
  });

  test('an API client keeps the JSON 404', async () => {
    const response = await fetch(`${stack.url}/admin/`, { headers: { accept: 'application/json' } });
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'ERR_NOT_FOUND');
  });
});

test('a taken port: which one, how to choose another, exit code 3, no stack trace', async () => {
  const taken = createServer();
  taken.listen(0, '127.0.0.1');
  await once(taken, 'listening');
  const { port } = taken.address() as { port: number };
  try {
    const child = spawn(
      process.execPath,
      [
        '--conditions=hutong-src',
        '--import',
        'tsx',
        fileURLToPath(new URL('../src/main.ts', import.meta.url)),
      ],
      {
        env: { ...process.env, ...env, PORT: String(port), HUTONG_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const [code] = await once(child, 'exit');
    assert.equal(code, 3, stderr);
    assert.match(stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
    assert.match(stderr, /PORT=5858 npm start/);
    assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
    assert.doesNotMatch(stdout, /Dashboard/, 'no banner');
  } finally {
    taken.close();
  }
});
