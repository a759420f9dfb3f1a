/**
 * A Hutong cluster on this machine: N nodes (`hutong start`, each its own process) sharing
 * PostgreSQL and Redis, behind nginx (Debian's) as the load balancer, with the WeChat simulator
 * standing in for WeChat. Used by the cluster test; run it by hand to poke at one:
 *
 *   npm run cluster      (Ctrl-C stops it)
 *
 * Environment: HUTONG_TEST_POSTGRES_URL, HUTONG_TEST_REDIS_URL (defaults: the local services).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@hutong/core/testing';
import { createSimServer, type SimServer } from '@hutong/wechat-sim';
import { freePort } from '../testing/ports.js';

const root = new URL('..', import.meta.url).pathname;
export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find(
  (path) => spawnSync(path, ['-v']).status === 0,
);

export const clusterApp = { appid: 'wx5e1a7c0ffee00001', secret: 'cluster-test-secret' };
export const clusterSignatureKey = 'cluster-tunnel-signature-key-4fT9qW2z';

export interface ClusterOptions {
  nodes?: number;
  postgresUrl?: string;
  redisUrl?: string;
  /** Extra environment for every node. */
  env?: Record<string, string>;
}

export interface ClusterNode {
  id: string;
  port: number;
  process: ChildProcess | undefined;
  /** Stderr and stdout of every run of this node, for a failing test to show. */
  output: string[];
}

export interface Cluster {
  /** nginx: what clients and business servers use. */
  url: string;
  sim: SimServer;
  nodes: ClusterNode[];
  /** SIGTERM (a drain) and wait for the exit; resolves to the exit code. */
  drain(index: number): Promise<number | null>;
  /** SIGKILL: a crash. */
  kill(index: number): Promise<void>;
  /** Starts a stopped node again on its port and waits until it is ready. */
  restart(index: number): Promise<void>;
  close(): Promise<void>;
}

/** Whether the node (or nginx) at `url` answers ready; false while it cannot be reached yet. */
const ready = async (url: string) => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200;
const STARTUP = { timeoutMs: 30_000, intervalMs: 100 };

function nginxConf(dir: string, port: number, upstreams: number[]): string {
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  map $http_upgrade $connection_upgrade { default upgrade; '' ''; }
  upstream hutong {
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=2s;`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://hutong;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 75s;
      proxy_connect_timeout 2s;
      proxy_next_upstream error timeout http_502 http_503;
    }
  }
}
`;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  if (!NGINX) throw new Error('nginx is not installed (apt-get install nginx-light)');
  const count = options.nodes ?? 3;
  const postgresUrl =
    options.postgresUrl ??
    process.env['HUTONG_TEST_POSTGRES_URL'] ??
    'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = options.redisUrl ?? process.env['HUTONG_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const dir = mkdtempSync(join(tmpdir(), 'hutong-cluster-'));
  const sim = await createSimServer({ apps: [clusterApp] });
  const nginxPort = await freePort();
  const url = `http://127.0.0.1:${nginxPort}`;
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < count; i += 1)
    nodes.push({ id: `node${i + 1}`, port: await freePort(), process: undefined, output: [] });

  const launch = async (node: ClusterNode) => {
    const child = spawn(
      process.execPath,
      ['--conditions=hutong-src', '--import', 'tsx', 'packages/server/src/cli.ts', 'start'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env['PATH'] ?? '',
          HOST: '127.0.0.1',
          PORT: String(node.port),
          HUTONG_NODE_ID: node.id,
          HUTONG_PUBLIC_URL: url,
          HUTONG_TRUST_PROXY: '127.0.0.1',
          HUTONG_APPID: clusterApp.appid,
          HUTONG_APP_SECRET: clusterApp.secret,
          HUTONG_WECHAT_API_URL: sim.url,
          HUTONG_TUNNEL_SIGNATURE_KEY: clusterSignatureKey,
          HUTONG_STORE: 'postgres',
          HUTONG_STORE_URL: postgresUrl,
          HUTONG_IM_STORE: 'postgres',
          HUTONG_IM_STORE_URL: postgresUrl,
          HUTONG_BROKER: 'redis',
          HUTONG_BROKER_URL: redisUrl,
          HUTONG_DATA_DIR: join(dir, node.id),
          HUTONG_LOGIN_RATE_PER_IP: '0',
          HUTONG_LOGIN_RATE_PER_USER: '0',
          HUTONG_DRAIN_TIMEOUT_MS: '5000',
          HUTONG_LOG_LEVEL: 'warn',
          ...options.env,
        },
      },
    );
    const keep = (chunk: Buffer) => {
      node.output.push(String(chunk));
      if (node.output.length > 200) node.output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    node.process = child;
    const base = `http://127.0.0.1:${node.port}`;
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`cluster: ${node.id} exited: ${node.output.join('')}`);
        return ready(base);
      },
      { ...STARTUP, what: `cluster: ${node.id} ready` },
    );
  };
  await Promise.all(nodes.map(launch));

  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
    mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(
    join(dir, 'nginx.conf'),
    nginxConf(
      dir,
      nginxPort,
      nodes.map((n) => n.port),
    ),
  );
  const nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  await until(() => ready(url), { ...STARTUP, what: 'cluster: nginx' });

  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });

  return {
    url,
    sim,
    nodes,
    async drain(index) {
      const child = nodes[index]!.process!;
      child.kill('SIGTERM');
      return exited(child);
    },
    async kill(index) {
      const child = nodes[index]!.process!;
      child.kill('SIGKILL');
      await exited(child);
    },
    restart: (index) => launch(nodes[index]!),
    async close() {
      nginx.kill('SIGTERM');
      await exited(nginx);
      await Promise.all(
        nodes.map(async (node) => {
          if (node.process && node.process.exitCode === null && node.process.signalCode === null) {
            node.process.kill('SIGTERM');
            await exited(node.process);
          }
        }),
      );
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cluster = await startCluster();
  process.stdout.write(
    `Hutong cluster behind nginx at ${cluster.url} (nodes ${cluster.nodes.map((n) => `${n.id}:${n.port}`).join(', ')}); WeChat simulator at ${cluster.sim.url}\n`,
  );
  process.once('SIGINT', () => void cluster.close().then(() => process.exit(0)));
}
