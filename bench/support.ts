/** Small pieces the benchmark runners share. */
import type { ChildProcess } from 'node:child_process';

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
