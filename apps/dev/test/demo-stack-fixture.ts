/**
 * The dev stack as the demo pages' browser suites use it: a data directory of its own (the IM and
 * drawing stores on SQLite files), an admin token for the dashboard, 2 s tunnel heartbeats, and the
 * TCP sockets under tunnel and IM WebSockets in the order they were upgraded (a suite cuts them to
 * make a page reconnect).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Page } from 'playwright-core';
import type { DevStack } from '../src/stack.js';
import { startTestStack } from './stack-fixture.js';

/** The page's global the fixture reads in `page.waitForFunction` (the browser's, not Node's). */
declare const document: { querySelector(s: string): unknown };

export interface DemoStack {
  stack: DevStack;
  /** The stack's data directory (`demos.sqlite`, `im.sqlite`). */
  dataDir: string;
  tunnelSockets: Duplex[];
  imSockets: Duplex[];
  /** Loads `path` and waits until the page shows who the user is (its session is ready). */
  open(page: Page, path: string): Promise<void>;
  close(): Promise<void>;
}

export async function startDemoStack(name: string, adminToken: string): Promise<DemoStack> {
  const dataDir = await mkdtemp(join(tmpdir(), `hutong-${name}-`));
  const tunnelSockets: Duplex[] = [];
  const imSockets: Duplex[] = [];
  const stack = await startTestStack(
    {
      HUTONG_ADMIN_TOKEN: adminToken,
      HUTONG_DATA_DIR: dataDir,
      HUTONG_IM_STORE: 'sqlite',
      HUTONG_TUNNEL_HEARTBEAT: '2',
    },
    (app) => {
      app.server.on('upgrade', (request: IncomingMessage, socket: Duplex) => {
        const url = new URL(request.url ?? '/', 'http://x');
        if (url.searchParams.has('tunnelId')) tunnelSockets.push(socket);
        else if (url.pathname === '/im') imSockets.push(socket);
      });
    },
  );
  return {
    stack,
    dataDir,
    tunnelSockets,
    imSockets,
    async open(page, path) {
      await page.goto(`${stack.url}${path}`);
      await page.waitForFunction(() => document.querySelector('#my-name') !== null, undefined, {
        timeout: 10_000,
      });
    },
    async close() {
      await stack.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
