import { randomBytes } from 'node:crypto';
import type { Broker, BusPacket, ImSignal } from '@hutong/core';
import { HutongError } from '@hutong/protocol';

/**
 * The messages between a worker's IpcBroker and the primary's IpcBus (ipc-bus.ts), over the
 * cluster's IPC channel. Every one carries `hutong: 'broker'`, so other IPC traffic is left alone.
 */
export type BrokerMessage =
  | { hutong: 'broker'; kind: 'call'; id: number; method: BrokerMethod; args: unknown[] }
  | { hutong: 'broker'; kind: 'reply'; id: number; result?: unknown; error?: string }
  | { hutong: 'broker'; kind: 'deliver'; packets: BusPacket[] }
  | { hutong: 'broker'; kind: 'signals'; signals: ImSignal[] }
  | { hutong: 'broker'; kind: 'peers'; count: number };

/** The Broker calls a worker forwards to the primary (the rest are local). */
export const brokerMethods = [
  'start',
  'register',
  'unregister',
  'locate',
  'send',
  'publish',
  'nodes',
  'enter',
  'leave',
  'whereAre',
  'signal',
  'offer',
  'claim',
  'report',
  'reports',
  'close',
] as const;
export type BrokerMethod = (typeof brokerMethods)[number];

/** How long a call may wait for the primary before it fails with ERR_STORE_UNAVAILABLE. */
const CALL_TIMEOUT_MS = 5000;

export interface IpcChannel {
  send(message: BrokerMessage): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

export const isBrokerMessage = (message: unknown): message is BrokerMessage =>
  typeof message === 'object' && message !== null && (message as { hutong?: unknown }).hutong === 'broker';

/**
 * The broker of one worker of `hutong start --workers N`: the workers of one box share one bus held
 * by the primary process (IpcBus: the in-process LocalBus, so every guarantee of LocalBroker
 * holds), reached over the cluster's IPC channel. No Redis needed within a box. Maps travel as
 * their entries.
 */
export class IpcBroker implements Broker {
  readonly nodeId: string;
  readonly #channel: IpcChannel;
  #next = 1;
  readonly #calls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #deliver: ((packets: BusPacket[]) => void) | undefined;
  #signals: ((signals: ImSignal[]) => void) | undefined;
  /** Nodes on the bus, as the primary last said. */
  #peers = 1;

  constructor(
    channel: IpcChannel = process as unknown as IpcChannel,
    nodeId = randomBytes(6).toString('hex'),
  ) {
    this.#channel = channel;
    this.nodeId = nodeId;
    channel.on('message', (message) => {
      if (isBrokerMessage(message)) this.#receive(message);
    });
  }

  async start(deliver: (packets: BusPacket[]) => void): Promise<void> {
    this.#deliver = deliver;
    await this.#call('start', []);
  }

  register(tunnelId: string): Promise<void> {
    return this.#call('register', [tunnelId]) as Promise<void>;
  }

  unregister(tunnelId: string): Promise<void> {
    return this.#call('unregister', [tunnelId]) as Promise<void>;
  }

  async locate(tunnelIds: readonly string[]): Promise<Map<string, string>> {
    return new Map((await this.#call('locate', [tunnelIds])) as [string, string][]);
  }

  send(nodeId: string, packets: BusPacket[]): Promise<void> {
    return this.#call('send', [nodeId, packets]) as Promise<void>;
  }

  publish(packets: BusPacket[]): Promise<void> {
    return this.#call('publish', [packets]) as Promise<void>;
  }

  nodes(): Promise<string[]> {
    return this.#call('nodes', []) as Promise<string[]>;
  }

  enter(userId: string): Promise<void> {
    return this.#call('enter', [userId]) as Promise<void>;
  }

  leave(userId: string): Promise<void> {
    return this.#call('leave', [userId]) as Promise<void>;
  }

  async whereAre(userIds: readonly string[]): Promise<Map<string, string[]>> {
    return new Map((await this.#call('whereAre', [userIds])) as [string, string[]][]);
  }

  signal(nodeId: string, signals: ImSignal[]): Promise<void> {
    return this.#call('signal', [nodeId, signals]) as Promise<void>;
  }

  onSignals(listener: (signals: ImSignal[]) => void): void {
    this.#signals = listener;
  }

  /** Alone when the primary runs no other worker. */
  alone(): boolean {
    return this.#peers <= 1;
  }

  async ping(): Promise<void> {}

  offer(tunnelId: string, spec: string, ttlMs: number): Promise<void> {
    return this.#call('offer', [tunnelId, spec, ttlMs]) as Promise<void>;
  }

  claim(tunnelId: string): Promise<string | undefined> {
    return this.#call('claim', [tunnelId]) as Promise<string | undefined>;
  }

  report(stats: string): Promise<void> {
    return this.#call('report', [stats]) as Promise<void>;
  }

  async reports(): Promise<Map<string, string>> {
    return new Map((await this.#call('reports', [])) as [string, string][]);
  }

  async close(): Promise<void> {
    await this.#call('close', []).catch(() => undefined);
    for (const call of this.#calls.values()) call.reject(unavailable('the broker closed'));
    this.#calls.clear();
  }

  #call(method: BrokerMethod, args: unknown[]): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#calls.delete(id);
        reject(unavailable(`the primary did not answer ${method}`));
      }, CALL_TIMEOUT_MS);
      this.#calls.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      try {
        this.#channel.send({ hutong: 'broker', kind: 'call', id, method, args });
      } catch (error) {
        this.#calls.get(id)?.reject(unavailable(`the primary is gone (${(error as Error).message})`));
        this.#calls.delete(id);
      }
    });
  }

  #receive(message: BrokerMessage): void {
    switch (message.kind) {
      case 'reply': {
        const call = this.#calls.get(message.id);
        this.#calls.delete(message.id);
        if (message.error === undefined) call?.resolve(message.result);
        else call?.reject(unavailable(message.error));
        break;
      }
      case 'deliver':
        this.#deliver?.(message.packets);
        break;
      case 'signals':
        this.#signals?.(message.signals);
        break;
      case 'peers':
        this.#peers = message.count;
        break;
      default:
    }
  }
}

const unavailable = (message: string) => new HutongError('ERR_STORE_UNAVAILABLE', `IPC broker: ${message}`);
