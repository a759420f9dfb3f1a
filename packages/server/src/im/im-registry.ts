import { imKickoutCodes, serverFrames } from '@hutong/protocol/im';
import type { WebSocket } from 'ws';
import type { ImDevice } from './im-device.js';
import type { ImOutput } from './im-output.js';
import type { ImStats } from './im-stats.js';

/** What happens around a device's arrival and departure (presence, hooks, its cursor). */
export interface RegistryEvents {
  /** The user's first device on this node logged in. */
  firstDevice(userId: string): void;
  /** The user's last device on this node went. */
  lastDevice(userId: string): void;
  online?(userId: string, device: string): void;
  offline?(userId: string, device: string): void;
  /** A device went: keep how far it acknowledged. */
  departed(device: ImDevice): void;
}

const none: ReadonlyMap<string, ImDevice> = new Map();

/**
 * The devices logged in on this node, by user and by socket, and the only place that adds or
 * removes one: so presence (a user's first and last device), the online/offline hooks and the
 * cursor save happen exactly once per device, however it goes (closed, kicked, replaced, slow,
 * logged out).
 */
export class DeviceRegistry {
  readonly #users = new Map<string, Map<string, ImDevice>>();
  readonly #byWs = new Map<WebSocket, ImDevice>();

  constructor(
    private readonly output: ImOutput,
    private readonly stats: ImStats,
    private readonly events: RegistryEvents,
  ) {}

  get userCount(): number {
    return this.#users.size;
  }

  get deviceCount(): number {
    return this.#byWs.size;
  }

  /** The device logged in on this socket. */
  of(ws: WebSocket): ImDevice | undefined {
    return this.#byWs.get(ws);
  }

  /** The user's devices here, by device id (empty when none). */
  devicesOf(userId: string): ReadonlyMap<string, ImDevice> {
    return this.#users.get(userId) ?? none;
  }

  /** Every device here (a snapshot: safe to close devices while iterating). */
  all(): ImDevice[] {
    return [...this.#byWs.values()];
  }

  /** True when `device` is still the live login of its socket. */
  current(device: ImDevice): boolean {
    return this.#byWs.get(device.ws) === device;
  }

  add(device: ImDevice): void {
    let devices = this.#users.get(device.userId);
    if (!devices) {
      devices = new Map();
      this.#users.set(device.userId, devices);
      this.events.firstDevice(device.userId);
    }
    devices.set(device.device, device);
    this.#byWs.set(device.ws, device);
    this.events.online?.(device.userId, device.device);
  }

  /** The device is no longer logged in (its socket closes or closed). */
  forget(device: ImDevice): void {
    if (this.#byWs.get(device.ws) !== device) return;
    this.#byWs.delete(device.ws);
    this.events.departed(device);
    const devices = this.#users.get(device.userId);
    if (devices?.get(device.device) !== device) return;
    devices.delete(device.device);
    if (devices.size === 0) {
      this.#users.delete(device.userId);
      this.events.lastDevice(device.userId);
    }
    this.events.offline?.(device.userId, device.device);
  }

  /** Told it was replaced (a kick-out frame), then closed. Works on a socket not logged in yet too. */
  kick(ws: WebSocket, userId: string, reason: string): void {
    this.stats.kicked += 1;
    this.output.send(ws, serverFrames.kickout(userId, imKickoutCodes.duplicateLogin, reason));
    const device = this.#byWs.get(ws);
    if (device) this.forget(device);
    ws.close(1000, 'kicked');
  }

  /** Replaced by the same app's new connection: closed without a kick-out notice. */
  drop(device: ImDevice): void {
    this.forget(device);
    device.ws.terminate();
  }

  /** Its session ended (logged out, expired): closed with `code`. */
  end(device: ImDevice, code: number, reason: string): void {
    this.stats.sessionsEnded += 1;
    this.forget(device);
    device.ws.close(code, reason);
  }
}
