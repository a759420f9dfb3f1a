/** Small pieces the benchmark runners share. */
import type { ChildProcess } from 'node:child_process';
import { type HutongConfig, loadConfig } from '@hutong/server';

/** Sends `message` to a child process and resolves with its first answer whose `op` is `reply`. */
export function request(child: ChildProcess, message: object, reply: string): Promise<any> {
  return new Promise((resolve) => {
    const on = (m: { op: string }) => {
      if (m.op === reply) {
        child.off('message', on);
        resolve(m);
      }
    };
    child.on('message', on);
    child.send(message);
  });
}

export const json = async (url: string, init?: RequestInit) =>
  (await fetch(url, init)).json() as Promise<any>;

/** The `q` quantile (0–1) of `values`, nearest rank; 0 for none. */
export const quantile = (values: number[], q: number) => {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};

/**
 * A benchmark node's configuration: port 0, sessions in memory, the bench app, silent logs, and
 * the cluster settings the runner passes (`HUTONG_BROKER`, `HUTONG_NODE_ID`); `extra` adds the rest.
 */
export function benchConfig(extra: Record<string, string> = {}): HutongConfig {
  const env = process.env;
  return loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    HUTONG_STORE_URL: ':memory:',
    HUTONG_APPID: 'wxbench',
    HUTONG_APP_SECRET: 'bench',
    HUTONG_TUNNEL_SIGNATURE_KEY: 'bench-key',
    HUTONG_LOG_LEVEL: 'silent',
    // Every load-generator client comes from 127.0.0.1: no per-address connection cap.
    HUTONG_CONNECTIONS_PER_IP: '0',
    HUTONG_BROKER: env.HUTONG_BROKER ?? 'local',
    ...(env.HUTONG_NODE_ID ? { HUTONG_NODE_ID: env.HUTONG_NODE_ID } : {}),
    ...extra,
  });
}
