import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints for a SQLite file, run by a worker thread with its own connection. SQLite's
 * automatic checkpoint runs inside the commit that crosses the threshold, on the event loop, and
 * stalls it for milliseconds while pages are written back; here the writer never pays for it.
 */
export class SqliteCheckpointer {
  readonly #worker: Worker;

  constructor(file: string, onFailure: () => void, everyMs = 1000) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const Database = require(workerData.module);
       const db = new Database(workerData.file);
       db.pragma('busy_timeout = 5000');
       const run = (mode) => { try { db.pragma('wal_checkpoint(' + mode + ')'); } catch {} };
       const timer = setInterval(() => run('PASSIVE'), workerData.everyMs);
       parentPort.on('message', () => { clearInterval(timer); run('TRUNCATE'); db.close(); parentPort.close(); });`,
      { eval: true, workerData: { module, file, everyMs } },
    );
    this.#worker.on('error', onFailure);
    this.#worker.unref();
  }

  /** A last full checkpoint, then the worker ends. */
  async close(): Promise<void> {
    this.#worker.ref(); // keep the process up until the last checkpoint is written
    const exited = new Promise((resolve) => this.#worker.once('exit', resolve));
    this.#worker.postMessage('close');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
    await this.#worker.terminate();
  }
}
