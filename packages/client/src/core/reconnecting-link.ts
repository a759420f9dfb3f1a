import type { CloseAdvice } from '@hutong/protocol/close-codes';
import { backoffDelay } from './backoff.js';
import type { Platform } from './platform.js';

export interface LinkOptions {
  /** First wait after a failure; doubles each try, with jitter. */
  reconnectDelayMs: number;
  /** Longest wait between tries. */
  maxReconnectDelayMs: number;
  /** Tries in a row before the link gives up (`Infinity`: never). */
  maxTries: number;
}

export interface LinkHooks {
  /**
   * Starts attempt `attempt`: open a socket, log in… It ends with `connected(attempt)` or
   * `retry(…)`; callbacks of an older attempt check `current(attempt)` and do nothing.
   */
  connect(attempt: number): void;
  /** The app went to the background (its thread will be suspended): stop heartbeats. */
  pause(): void;
  /** The app came back, or the network, while connected: check the link is still alive. */
  check(): void;
}

/** Where the link is: the state machine behind `Tunnel` and the IM connection. */
type Phase =
  | { kind: 'stopped' }
  | { kind: 'connecting'; attempt: number }
  | { kind: 'connected'; attempt: number }
  /** Before the next attempt: a timer, or none while the app is hidden or offline. */
  | { kind: 'waiting'; timer: unknown };

/** What `retry` did: a timer is set, the link waits for the app or network to come back, or it gave up. */
export type RetryOutcome = 'scheduled' | 'paused' | 'gave-up';

/**
 * One logical link over successive sockets, for `Tunnel` and the IM connection alike: attempts that
 * supersede each other, reconnects with exponential backoff and jitter (at once after a close in
 * 4500–4599, not at all after 4400–4499: `@hutong/protocol/close-codes`), a limit of tries in a
 * row, and the host's lifecycle — no reconnects while the app is hidden or offline, one at once
 * when it comes back, a liveness check when it comes back connected. The owner speaks its protocol
 * over the sockets and tells the link how each attempt went.
 */
export class ReconnectingLink {
  #phase: Phase = { kind: 'stopped' };
  /** Bumped by every attempt and by stop: callbacks of older attempts are ignored. */
  #attempts = 0;
  #tries = 0;
  #hidden = false;
  #online = true;
  #unsubscribe: (() => void)[] = [];

  constructor(
    private readonly platform: Platform,
    private readonly options: LinkOptions,
    private readonly hooks: LinkHooks,
  ) {}

  get running(): boolean {
    return this.#phase.kind !== 'stopped';
  }

  get connected(): boolean {
    return this.#phase.kind === 'connected';
  }

  /** The app is in the background: heartbeats wait (its thread may be suspended any moment). */
  get hidden(): boolean {
    return this.#hidden;
  }

  /**
   * Hidden or offline: reconnects wait. (A heartbeat goes on offline: it is what notices a socket
   * the dead network left silent.)
   */
  get paused(): boolean {
    return this.#hidden || !this.#online;
  }

  /** Starts listening to the host and makes the first attempt. Does nothing when running. */
  start(): void {
    if (this.running) return;
    this.#tries = 0;
    this.#listenToHost();
    this.#begin();
  }

  /** Stops for good: no more attempts; the current one's callbacks are ignored from now on. */
  stop(): void {
    if (this.#phase.kind === 'waiting') this.platform.clearTimeout(this.#phase.timer);
    this.#phase = { kind: 'stopped' };
    this.#attempts += 1;
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  /** Whether `attempt` is the one in progress (connecting or connected). */
  current(attempt: number): boolean {
    const phase = this.#phase;
    return (phase.kind === 'connecting' || phase.kind === 'connected') && phase.attempt === attempt;
  }

  /** The owner's attempt succeeded: the tries start over. */
  succeeded(attempt: number): void {
    if (!this.current(attempt)) return;
    this.#phase = { kind: 'connected', attempt };
    this.#tries = 0;
  }

  /**
   * The link is down, or an attempt failed: another attempt after a backoff (`'reconnect'`), at
   * once (`'reconnect-now'`), or after the app or network come back; `'gave-up'` after
   * `maxTries` in a row (the link is stopped then).
   */
  retry(advice: Exclude<CloseAdvice, 'stop'> = 'reconnect'): RetryOutcome {
    if (!this.running) return 'gave-up';
    if (this.#phase.kind === 'waiting') this.platform.clearTimeout(this.#phase.timer);
    this.#attempts += 1; // whatever the old attempt still reports is ignored
    if (this.paused) {
      this.#phase = { kind: 'waiting', timer: undefined };
      return 'paused';
    }
    if (this.#tries >= this.options.maxTries) {
      this.stop();
      return 'gave-up';
    }
    this.#tries += 1;
    const wait =
      advice === 'reconnect-now'
        ? 0
        : backoffDelay(this.#tries, this.options.reconnectDelayMs, this.options.maxReconnectDelayMs);
    this.#phase = { kind: 'waiting', timer: this.platform.setTimeout(() => this.#begin(), wait) };
    return 'scheduled';
  }

  /** While waiting (for a timer, the app or the network): the next attempt now. */
  reconnectNow(): void {
    if (this.#phase.kind !== 'waiting') return;
    this.platform.clearTimeout(this.#phase.timer);
    this.#begin();
  }

  #begin(): void {
    const attempt = ++this.#attempts;
    this.#phase = { kind: 'connecting', attempt };
    this.hooks.connect(attempt);
  }

  #listenToHost(): void {
    const { platform } = this;
    const subscriptions = [
      platform.onAppHide?.(() => {
        this.#hidden = true;
        this.hooks.pause();
      }),
      platform.onAppShow?.(() => {
        this.#hidden = false;
        this.#wake();
      }),
      platform.onNetworkChange?.((online) => {
        this.#online = online;
        if (!online) return;
        this.#tries = 0;
        this.#wake();
      }),
    ];
    this.#unsubscribe = subscriptions.filter((off): off is () => void => typeof off === 'function');
  }

  /** Back in the foreground or online: a connected link is checked, a waiting one tries now. */
  #wake(): void {
    if (this.paused) return;
    if (this.#phase.kind === 'connected') this.hooks.check();
    else this.reconnectNow();
  }
}
