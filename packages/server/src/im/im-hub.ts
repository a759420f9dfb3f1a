import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ImSignal } from '@hutong/core';
import {
  imCloseCodes,
  imErrorCodes,
  imExtensionTypes,
  imTypes,
  type Protocal,
  serverFrames,
} from '@hutong/protocol/im';
import type { WebSocket } from 'ws';
import { SendBudget } from '../http/send-budget.js';
import { arbitrateRemote } from './im-arbitration.js';
import { ImCluster } from './im-cluster.js';
import { InboxDelivery } from './im-delivery.js';
import type { ImDevice } from './im-device.js';
import { MessageIntake } from './im-intake.js';
import { sessionIdOf } from './im-limits.js';
import { LoginFlow } from './im-login.js';
import { type ImHubOptions, type ResolvedOptions, resolveOptions } from './im-options.js';
import { ImOutput } from './im-output.js';
import { Receipts } from './im-receipts.js';
import { DeviceRegistry } from './im-registry.js';
import { ImSocketServer } from './im-socket.js';
import { type ImStats, newImStats } from './im-stats.js';
import { ImTicker } from './im-tick.js';

/** Where IM clients connect (WebSocket). */
export const IM_PATH = '/im';

export type { InboxEntry } from '@hutong/core';
export { imCloseCodes, imExtensionTypes, imHutongCodes } from '@hutong/protocol/im';
export { imLimitDefaults } from './im-limits.js';
export type { ImHooks, ImHubOptions, LoginVerdict } from './im-options.js';
export type { ImStats } from './im-stats.js';

/**
 * The IM endpoint (`/im`): MobileIMSDK's `Protocal` frames with delivery that means something. A
 * data message is stored (conversation `seq`, server `sid`) before the sender gets its ACK, written
 * to every connected device of each recipient, resent until the device ACKs, and kept in the
 * recipient's inbox so a device that was away gets it on its next login, in order.
 *
 * This class wires the parts and routes frames and signals to them: the socket server and its two
 * lanes (im-socket.ts), login and its arbitration (im-login.ts, im-arbitration.ts), the device
 * registry (im-registry.ts), inbox delivery (im-delivery.ts), message intake and backpressure
 * (im-intake.ts), receipts (im-receipts.ts), the cluster (im-cluster.ts) and the tick (im-tick.ts).
 */
export class ImHub {
  readonly stats: ImStats = newImStats();
  readonly #options: ResolvedOptions;
  readonly #budget: SendBudget;
  readonly #output: ImOutput;
  readonly #cluster: ImCluster;
  readonly #registry: DeviceRegistry;
  readonly #delivery: InboxDelivery;
  readonly #intake: MessageIntake;
  readonly #receipts: Receipts;
  readonly #login: LoginFlow;
  readonly #ticker: ImTicker;
  readonly #sockets: ImSocketServer;
  readonly #timer: NodeJS.Timeout;

  constructor(options: ImHubOptions) {
    const { store, logger } = options;
    const hooks = options.hooks ?? {};
    const stats = this.stats;
    this.#options = resolveOptions(options);
    const settings = this.#options;
    this.#budget = new SendBudget(settings.maxBufferedBytes, (ws) => this.#slowConsumer(ws));
    const output = new ImOutput(this.#budget, options.onError);
    this.#output = output;
    const cluster = new ImCluster(options.broker, stats, logger);
    this.#cluster = cluster;
    const delivery = new InboxDelivery(store, output, settings.backlogPage, logger);
    this.#delivery = delivery;
    const registry = new DeviceRegistry(output, stats, {
      firstDevice: (userId) => cluster.enter(userId),
      lastDevice: (userId) => cluster.leave(userId),
      departed: (device) => void delivery.saveCursor(device),
      ...(hooks.online ? { online: hooks.online } : {}),
      ...(hooks.offline ? { offline: hooks.offline } : {}),
    });
    this.#registry = registry;
    const common = { store, registry, delivery, cluster, output, stats, options: settings, logger };
    this.#intake = new MessageIntake({ ...common, hooks });
    this.#receipts = new Receipts(common);
    this.#login = new LoginFlow({ ...common, verify: options.verifyLogin });
    this.#ticker = new ImTicker({ ...common, verify: options.verifyLogin });
    this.#sockets = new ImSocketServer(
      {
        deviceOf: (ws) => registry.of(ws),
        immediate: (ws, frame, device) => this.#immediate(ws, frame, device),
        ordered: (ws, frame, text, waitedMs) => this.#ordered(ws, frame, text, waitedMs),
        overflow: (ws, frame, device) => this.#overflow(ws, frame, device),
        closed: (ws) => {
          const device = registry.of(ws);
          if (device) registry.forget(device);
        },
      },
      settings,
      output,
      stats,
      logger,
    );
    cluster.listen((signals) => this.#onSignals(signals));
    this.#timer = setInterval(() => this.#tick(), Math.min(1000, settings.resendMs / 2)).unref();
  }

  /** Users with a device logged in on this node. */
  get userCount(): number {
    return this.#registry.userCount;
  }

  /** Devices logged in on this node. */
  get deviceCount(): number {
    return this.#registry.deviceCount;
  }

  /** The most bytes one socket had queued after a write (bounded by `maxBufferedBytes`). */
  get peakBufferedBytes(): number {
    return this.#budget.peakBuffered;
  }

  /** Accepts waiting for the store on this node now (backpressure refuses data beyond `maxPendingAccepts`). */
  get pendingAccepts(): number {
    return this.#intake.pending;
  }

  /** Devices of a user connected to this node. */
  devices(userId: string): string[] {
    return [...this.#registry.devicesOf(userId).keys()];
  }

  get handleUpgrade(): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
    return this.#sockets.handleUpgrade;
  }

  /** Ends every connection (by default going away; a drain asks clients to reconnect elsewhere). */
  async close(code = 1001, reason = 'server shutting down'): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all(this.#registry.all().map((device) => this.#delivery.saveCursor(device)));
    this.#sockets.close(code, reason);
  }

  /**
   * Ends the connections logged in with a session that was logged out, here and on other nodes:
   * those whose login token was `token`, or, without one, every session-bound login of the user
   * (a verdict with `expiresAt`). They are closed with imCloseCodes.loggedOut.
   */
  endSession(userId: string, token?: string): void {
    const session = token === undefined ? undefined : sessionIdOf(token);
    this.#endSessions(userId, session);
    this.#cluster.toOthers([userId], () => [
      { kind: 'logout', userId, ...(session === undefined ? {} : { session }) },
    ]);
  }

  #endSessions(userId: string, session: string | undefined): void {
    for (const device of [...this.#registry.devicesOf(userId).values()]) {
      if (session === undefined ? device.sessionBound : device.session === session)
        this.#registry.end(device, imCloseCodes.loggedOut, 'logged out');
    }
  }

  #slowConsumer(ws: WebSocket): void {
    this.stats.slowConsumers += 1;
    const device = this.#registry.of(ws);
    if (device) this.#registry.forget(device); // what it has not acknowledged comes with its next login
    ws.close(imCloseCodes.slowConsumer, 'slow consumer');
  }

  /** The frames that do not wait for the connection's queue (im-socket.ts). */
  #immediate(ws: WebSocket, frame: Protocal, device: ImDevice | undefined): boolean {
    if (frame.type === imTypes.echo) {
      this.#output.send(ws, serverFrames.echo(frame));
      return true;
    }
    if (!device) return false;
    switch (frame.type) {
      case imTypes.ack:
        this.#receipts.ack(device, frame);
        return true;
      case imTypes.keepAlive:
        this.#output.send(ws, serverFrames.pong(device.userId));
        return true;
      case imExtensionTypes.read:
        void this.#receipts.read(device, frame);
        return true;
      default:
        return false;
    }
  }

  async #ordered(ws: WebSocket, frame: Protocal, text: string, waitedMs: number): Promise<void> {
    if (frame.type === imTypes.login) return this.#login.login(ws, frame);
    const device = this.#registry.of(ws);
    if (!device) {
      // MobileIMSDK: anything but login and echo before login is answered 301, then closed.
      this.#output.error(ws, imErrorCodes.responseForUnlogin, text.slice(0, 1024));
      ws.close(1000, 'not logged in');
      return;
    }
    if (this.#immediate(ws, frame, device)) return; // arrived before its login completed
    switch (frame.type) {
      case imTypes.logout:
        ws.close(1000, 'logout');
        return;
      case imTypes.data:
        // Waited too long for its turn: the node is behind (CPU, not the store). Refusing is cheap;
        // accepting would only make the queue longer for everyone.
        if (waitedMs > this.#options.maxQueueWaitMs) return this.#intake.busy(device, frame, waitedMs);
        return this.#intake.data(device, frame);
      default:
        this.stats.badFrames += 1; // unknown types are ignored, as MobileIMSDK does
    }
  }

  /** A connection with `maxQueuedBytes` waiting: data is refused for now (1504), anything else ends it. */
  #overflow(ws: WebSocket, frame: Protocal, device: ImDevice | undefined): void {
    if (device && frame.type === imTypes.data) this.#intake.busy(device, frame);
    else ws.close(imCloseCodes.slowConsumer, 'too many frames queued');
  }

  /** What other nodes say: new inbox entries, frames for our devices, logouts, logins elsewhere. */
  #onSignals(signals: ImSignal[]): void {
    for (const signal of signals) {
      const devices = [...this.#registry.devicesOf(signal.userId).values()];
      switch (signal.kind) {
        case 'inbox':
          for (const device of devices) {
            if (signal.message)
              this.#delivery.live(device, signal.iseq, signal.message.frame, signal.message.key);
            else if (signal.iseq >= device.next) void this.#delivery.sync(device);
          }
          break;
        case 'frame':
          for (const device of devices) this.#output.text(device.ws, signal.frame);
          break;
        case 'logout':
          this.#endSessions(signal.userId, signal.session);
          break;
        case 'login':
          for (const device of devices) {
            const outcome = arbitrateRemote(signal, device, this.#options.singleDevice);
            if (outcome === 'kick') this.#registry.kick(device.ws, device.userId, 'logged in elsewhere');
            else if (outcome === 'drop') this.#registry.drop(device);
          }
          break;
      }
    }
  }

  #tick(): void {
    this.#sockets.expireIdle(Date.now() - this.#options.idleSeconds * 1000);
    this.#ticker.tick();
  }
}
