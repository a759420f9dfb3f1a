import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { IpcBus } from './brokers/ipc-bus.js';

/** The variable a worker learns its node id from (its IpcBroker's, as the primary's bus knows it). */
export const WORKER_NODE_ID = 'HUTONG_WORKER_NODE_ID';

export interface WorkersOptions {
  count: number;
  logger: Logger;
  /** The cluster's node id prefix (HUTONG_NODE_ID); workers are `<prefix>-w1`, `-w2`… */
  nodeId?: string;
  /** Waits before a worker that died is started again. Default 1 s. */
  restartDelayMs?: number;
}

/**
 * The primary of `hutong start --workers N`: forks N workers (each runs `hutong start` with the
 * same configuration and listens on the same port, node:cluster handing each new connection to
 * the next worker) and keeps them: one that dies is started again. Without Redis the workers share
 * the primary's in-process bus over IPC (IpcBus, IpcBroker), so a push reaches a tunnel on any
 * worker and a socket may land on a worker other than the one that allocated its tunnel. SIGTERM
 * and SIGINT drain every worker (clients are told to reconnect, 4503) and exit when they have;
 * SIGHUP reaches every worker (TLS reload). Resolves once every worker listens.
 */
export function runWorkers(options: WorkersOptions): Promise<void> {
  const { count, logger } = options;
  const prefix = options.nodeId ?? randomBytes(4).toString('hex');
  const bus = new IpcBus();
  let stopping = false;
  let listening = 0;

  const fork = (n: number): Worker => {
    const nodeId = `${prefix}-w${n}`;
    const worker = cluster.fork({ [WORKER_NODE_ID]: nodeId });
    // A message to a worker that is exiting fails later, as an event: its exit handles it.
    worker.on('error', (err) => logger.warn({ err, worker: nodeId }, 'worker channel error'));
    bus.join(worker, nodeId);
    worker.once('exit', (code, signal) => {
      void bus.leave(worker);
      if (stopping) return;
      logger.error({ worker: nodeId, code, signal }, 'worker exited: starting it again');
      setTimeout(() => fork(n), options.restartDelayMs ?? 1000).unref();
    });
    return worker;
  };

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: bus.size }, 'draining the workers');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    let left = workers.length;
    if (left === 0) process.exit(0);
    for (const worker of workers) {
      worker.once('exit', () => {
        left -= 1;
        if (left === 0) process.exit(0);
      });
      worker.process.kill('SIGTERM');
    }
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
  });

  return new Promise((resolve) => {
    cluster.on('listening', () => {
      listening += 1;
      if (listening === count) resolve();
    });
    for (let n = 1; n <= count; n += 1) fork(n);
  });
}
