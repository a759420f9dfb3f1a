import { DRAIN_CLOSE_CODE } from '@hutong/protocol/headers';
import { backoffDelay } from './backoff.js';
import { ImError, imErrorTypes } from './im-errors.js';
import type { ImState } from './im-types.js';
import {
  clientFrames,
  type ImFrame,
  imCloseCodes,
  imCodes,
  imFrameTypes,
  parseContent,
  parseFrame,
} from './im-wire.js';
import type { Platform, PlatformSocket } from './platform.js';

type TimerName = 'login' | 'ping' | 'pong' | 'reconnect';

export interface ImCredentials {
  userId: string;
  token: string;
  extra: string | null;
}

export interface ConnectionOptions {
  url: string;
  keepAliveMs: number;
  pongTimeoutMs: number;
  loginTimeoutMs: number;
  reconnectDelayMs: number;
  maxReconnectDelayMs: number;
}

export interface ConnectionHooks {
  /** Credentials for the next login; `refresh`: the server said the session is gone (1025). */
  credentials(refresh: boolean): Promise<ImCredentials>;
  /** Whether a fresh session can be had (false with a token given by the app). */
  refreshable(): boolean;
  state(from: ImState, to: ImState): void;
  online(reconnected: boolean): void;
  /** A frame of a logged-in link that is not the connection's business. */
  frame(frame: ImFrame): void;
  badFrame(): void;
  /** Closed for good by the server or a refused login; the connection is `closed` already. */
  ended(why: { kind: 'kicked' | 'authFailed'; code: number; reason: string }): void;
  ping(): void;
  pong(): void;
  log(message: string): void;
}

/**
 * One logical IM connection over successive sockets: login (MobileIMSDK type 0, re-sent with the
 * first login's `firstLoginTime` so the server's kick arbitration knows it), keep-alive, reconnect
 * with exponential backoff and jitter, paused while the app is hidden or offline and resumed at
 * once when it comes back. A refused login with 1025 gets one fresh session; 1027 is retried;
 * any other refusal, and a kick-out (type 54), end it. Close codes: 4503 (draining) reconnects at
 * once; 4401 (the session was logged out) ends it, never reusing the token; 4440 (the session
 * expired) gets one fresh session, as 1025; any other (4507 slow consumer, 4429 pre-login flood,
 * network) reconnects with backoff.
 */
export class ImConnection {
  #state: ImState = 'closed';
  #socket: PlatformSocket | undefined;
  /** Bumped by every attempt and by stop: callbacks of older sockets are ignored. */
  #attempt = 0;
  #loggedIn = false;
  #everOnline = false;
  #refreshed = false;
  /** The server ended the session (4440): the next attempt asks for a fresh one. */
  #stale = false;
  #tries = 0;
  #hidden = false;
  #networkUp = true;
  #timers: Record<TimerName, unknown> = {
    login: undefined,
    ping: undefined,
    pong: undefined,
    reconnect: undefined,
  };
  #unsubscribe: (() => void)[] = [];
  readonly #platform: Platform;
  readonly #options: ConnectionOptions;
  readonly #hooks: ConnectionHooks;
  /** The server's answer to the first login, sent with every later one. */
  firstLoginTime = 0;
  credentials: ImCredentials | undefined;

  constructor(platform: Platform, options: ConnectionOptions, hooks: ConnectionHooks) {
    this.#platform = platform;
    this.#options = options;
    this.#hooks = hooks;
  }

  get state(): ImState {
    return this.#state;
  }

  start(): void {
    if (this.#state !== 'closed') return;
    this.#everOnline = false;
    this.#refreshed = false;
    this.#stale = false;
    this.#tries = 0;
    this.firstLoginTime = 0;
    this.#listenToHost();
    this.#setState('connecting');
    void this.#connect(false);
  }

  /** Writes a frame on the logged-in link; false when there is none. */
  send(text: string): boolean {
    if (!this.#loggedIn || !this.#socket) return false;
    try {
      this.#socket.send(text);
      return true;
    } catch {
      return false;
    }
  }

  /** Ends the connection: a logout frame first when logged in. Idempotent. */
  stop(): void {
    if (this.#state === 'closed') return;
    this.#attempt += 1;
    if (this.credentials) this.send(clientFrames.logout(this.credentials.userId));
    this.#closeSocket(1000, 'closed by client');
    this.#stopTimers();
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#setState('closed');
  }

  async #connect(asked: boolean): Promise<void> {
    const refresh = asked || this.#stale;
    this.#stale = false;
    const attempt = ++this.#attempt;
    this.#closeSocket(1000, 'superseded');
    let credentials: ImCredentials;
    try {
      credentials = await this.#hooks.credentials(refresh);
    } catch (error) {
      if (attempt !== this.#attempt) return;
      if (error instanceof ImError && error.type === imErrorTypes.authFailed)
        this.#end('authFailed', -1, error.message);
      else this.#retry(`no session: ${String((error as Error)?.message ?? error)}`);
      return;
    }
    if (attempt !== this.#attempt) return;
    this.credentials = credentials;
    let socket: PlatformSocket;
    try {
      socket = this.#platform.connect(this.#options.url);
    } catch (error) {
      this.#retry(`socket not opened: ${String(error)}`);
      return;
    }
    this.#socket = socket;
    const current = () => attempt === this.#attempt && this.#socket === socket;
    socket.onOpen(() => {
      if (current()) this.#sendLogin();
    });
    socket.onMessage((data) => {
      if (current()) this.#onData(data);
    });
    const drop = (why: string) => {
      if (!current()) return;
      this.#socket = undefined;
      this.#retry(why);
    };
    socket.onClose((code, reason) => {
      if (!current()) return;
      this.#socket = undefined;
      this.#closedBy(code, reason);
    });
    socket.onError((error) => drop(`socket error ${String((error as Error)?.message ?? error)}`));
  }

  #sendLogin(): void {
    const { credentials, firstLoginTime } = this;
    if (!credentials || !this.#socket) return;
    const info = { loginUserId: credentials.userId, loginToken: credentials.token, extra: credentials.extra };
    try {
      this.#socket.send(clientFrames.login({ ...info, firstLoginTime }));
    } catch {}
    this.#clear('login');
    this.#timers.login = this.#platform.setTimeout(
      () => this.#dead('no login response'),
      this.#options.loginTimeoutMs,
    );
  }

  #onData(data: string | ArrayBuffer): void {
    this.#clear('pong'); // any frame shows the link is alive
    const frame = parseFrame(data);
    if (!frame) this.#hooks.badFrame();
    else if (frame.type === imFrameTypes.loginResponse) this.#onLoginResponse(frame);
    else if (frame.type === imFrameTypes.pong) this.#hooks.pong();
    else if (frame.type === imFrameTypes.kickout) {
      const info = parseContent(frame);
      const code = typeof info?.['code'] === 'number' ? info['code'] : 1;
      this.#end('kicked', code, typeof info?.['reason'] === 'string' ? info['reason'] : '');
    } else if (
      frame.type === imFrameTypes.error &&
      parseContent(frame)?.['errorCode'] === imCodes.responseForUnlogin
    ) {
      this.#relogin();
    } else if (this.#loggedIn) this.#hooks.frame(frame);
    else this.#hooks.badFrame();
  }

  #onLoginResponse(frame: ImFrame): void {
    const body = parseContent(frame);
    const code = body?.['code'];
    if (typeof code !== 'number') {
      this.#hooks.badFrame();
      return;
    }
    this.#clear('login');
    if (code === imCodes.ok) {
      if (this.#loggedIn) return; // "yes" again to a repeated login
      const first = body?.['firstLoginTime'];
      if (this.firstLoginTime <= 0 && typeof first === 'number' && first > 0) this.firstLoginTime = first;
      this.#loggedIn = true;
      this.#tries = 0;
      this.#refreshed = false;
      const reconnected = this.#everOnline;
      this.#everOnline = true;
      this.#setState('online');
      this.#hooks.online(reconnected);
      this.#nextPing();
      return;
    }
    this.#closeSocket(1000, 'login refused');
    this.#hooks.log(`login refused: ${code}`);
    if (code === imCodes.tokenInvalid && !this.#refreshed && this.#hooks.refreshable()) {
      this.#refreshed = true;
      void this.#connect(true);
    } else if (code === imCodes.verifyUnavailable) this.#retry('the server could not check the login');
    else this.#end('authFailed', code, `login refused (${code})`);
  }

  /** The server closed the link: see the class comment for what each code does. */
  #closedBy(code: number, reason: string): void {
    const why = `closed ${code} ${reason}`;
    if (code === imCloseCodes.loggedOut) {
      this.#end('authFailed', code, reason || 'logged out');
    } else if (code === imCloseCodes.sessionExpired) {
      if (this.#refreshed || !this.#hooks.refreshable())
        this.#end('authFailed', code, reason || 'session expired');
      else {
        this.#refreshed = true;
        this.#stale = true;
        this.#retry(why, true);
      }
    } else {
      // A draining node asks for a reconnect at once (the load balancer picks another node).
      this.#retry(why, code === DRAIN_CLOSE_CODE);
    }
  }

  /** Error 301: the server does not know this link as logged in; log in again on it. */
  #relogin(): void {
    this.#hooks.log('the server says not logged in: logging in again');
    this.#loggedIn = false;
    this.#clear('ping');
    this.#clear('pong');
    if (this.#state === 'online') this.#setState('reconnecting');
    this.#sendLogin();
  }

  #end(kind: 'kicked' | 'authFailed', code: number, reason: string): void {
    this.#loggedIn = false; // no logout frame: the server has ended it
    this.stop();
    this.#hooks.ended({ kind, code, reason });
  }

  /** The link is unusable: close it and reconnect. */
  #dead(why: string): void {
    this.#closeSocket(4000, why);
    this.#retry(why);
  }

  #retry(why: string, now = false): void {
    if (this.#state === 'closed') return;
    this.#hooks.log(`link down: ${why}`);
    this.#closeSocket(1000, 'reconnecting');
    this.#stopTimers();
    if (this.#state === 'online') this.#setState('reconnecting');
    if (this.#hidden || !this.#networkUp) return; // resumed by show / network back
    this.#tries += 1;
    this.#timers.reconnect = this.#platform.setTimeout(
      () => {
        this.#timers.reconnect = undefined;
        void this.#connect(false);
      },
      now ? 0 : backoffDelay(this.#tries, this.#options.reconnectDelayMs, this.#options.maxReconnectDelayMs),
    );
  }

  /** Reconnects now when waiting (not while a socket is being tried). */
  #reconnectNow(): void {
    if (this.#state === 'closed' || this.#state === 'online' || this.#socket) return;
    this.#clear('reconnect');
    void this.#connect(false);
  }

  // ---- keep-alive (type 1 every keepAliveMs; no frame within pongTimeoutMs → dead) -----------

  #nextPing(): void {
    this.#clear('ping');
    if (this.#hidden || !this.#loggedIn) return;
    this.#timers.ping = this.#platform.setTimeout(() => this.#ping(), this.#options.keepAliveMs);
  }

  #ping(): void {
    if (!this.#loggedIn || !this.credentials || this.#hidden) return;
    if (!this.send(clientFrames.keepAlive(this.credentials.userId))) {
      this.#dead('keep-alive not sent');
      return;
    }
    this.#hooks.ping();
    if (this.#timers.pong === undefined) {
      this.#timers.pong = this.#platform.setTimeout(() => this.#dead('no pong'), this.#options.pongTimeoutMs);
    }
    this.#nextPing();
  }

  // ---- app lifecycle and network -------------------------------------------------------------

  #listenToHost(): void {
    const platform = this.#platform;
    const subscriptions = [
      platform.onAppHide?.(() => {
        // The host suspends the JS thread soon: stop keep-alives rather than misread silence.
        this.#hidden = true;
        this.#clear('ping');
        this.#clear('pong');
      }),
      platform.onAppShow?.(() => {
        this.#hidden = false;
        if (this.#loggedIn)
          this.#ping(); // a quick liveness check
        else this.#reconnectNow();
      }),
      platform.onNetworkChange?.((up) => {
        this.#networkUp = up;
        if (!up) return;
        this.#tries = 0;
        if (this.#loggedIn) this.#ping();
        else this.#reconnectNow();
      }),
    ];
    this.#unsubscribe = subscriptions.filter((off): off is () => void => typeof off === 'function');
  }

  #closeSocket(code: number, reason: string): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#loggedIn = false;
    try {
      socket?.close(code, reason);
    } catch {}
  }

  #clear(name: TimerName): void {
    this.#platform.clearTimeout(this.#timers[name]);
    this.#timers[name] = undefined;
  }

  #stopTimers(): void {
    for (const name of ['login', 'ping', 'pong', 'reconnect'] as const) this.#clear(name);
  }

  #setState(to: ImState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#hooks.state(from, to);
  }
}
