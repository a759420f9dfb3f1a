import type { BusPacket, ImSignal } from '@hutong/core';
import { type BrokerMessage, brokerMethods, isBrokerMessage } from './ipc-broker.js';
import { LocalBroker, LocalBus } from './local-broker.js';

/** A worker as the bus sees it: where to send, and how to hear from it. */
export interface WorkerChannel {
  send(message: BrokerMessage): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

/**
 * The primary's side of `--workers N`: one in-process LocalBus, and on it one LocalBroker per
 * worker acting for it — a worker's IpcBroker call runs on its LocalBroker here and the answer goes
 * back; what its LocalBroker receives (packets, IM signals) is sent to the worker. The bus's rules
 * are LocalBroker's, so a box of workers behaves as nodes on one bus. A worker that exits leaves
 * the bus, its tunnels and presence with it.
 */
export class IpcBus {
  readonly #bus = new LocalBus();
  readonly #workers = new Map<WorkerChannel, LocalBroker>();

  /** Serves `worker` until `leave(worker)`. */
  join(worker: WorkerChannel, nodeId: string): void {
    const broker = new LocalBroker(this.#bus, nodeId);
    this.#workers.set(worker, broker);
    broker.onSignals((signals: ImSignal[]) =>
      this.#post(worker, { hutong: 'broker', kind: 'signals', signals }),
    );
    worker.on('message', (message) => {
      if (isBrokerMessage(message) && message.kind === 'call') void this.#serve(worker, broker, message);
    });
  }

  /** The worker is gone: its tunnels, presence and report leave the bus with it. */
  async leave(worker: WorkerChannel): Promise<void> {
    const broker = this.#workers.get(worker);
    this.#workers.delete(worker);
    await broker?.close();
    this.#announcePeers();
  }

  get size(): number {
    return this.#workers.size;
  }

  async #serve(
    worker: WorkerChannel,
    broker: LocalBroker,
    message: Extract<BrokerMessage, { kind: 'call' }>,
  ): Promise<void> {
    const { id, method, args } = message;
    if (!(brokerMethods as readonly string[]).includes(method)) {
      this.#post(worker, { hutong: 'broker', kind: 'reply', id, error: `unknown method ${String(method)}` });
      return;
    }
    try {
      let result: unknown;
      if (method === 'start') {
        await broker.start((packets: BusPacket[]) =>
          this.#post(worker, { hutong: 'broker', kind: 'deliver', packets }),
        );
        this.#announcePeers();
      } else {
        result = await (broker[method] as (...a: unknown[]) => Promise<unknown>)(...args);
      }
      this.#post(worker, {
        hutong: 'broker',
        kind: 'reply',
        id,
        result: result instanceof Map ? [...result] : result,
      });
    } catch (error) {
      this.#post(worker, { hutong: 'broker', kind: 'reply', id, error: (error as Error).message });
    }
  }

  /** Tells every worker how many nodes the bus has (`IpcBroker.alone`). */
  #announcePeers(): void {
    for (const worker of this.#workers.keys()) {
      this.#post(worker, { hutong: 'broker', kind: 'peers', count: this.#workers.size });
    }
  }

  #post(worker: WorkerChannel, message: BrokerMessage): void {
    try {
      worker.send(message);
    } catch {
      // The worker is exiting: its exit removes it from the bus.
    }
  }
}
