import { closeAdvice, closeCodes } from '@hutong/protocol/close-codes';
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
import { ReconnectingLink } from './reconnecting-link.js';

type TimerName = 'login' | 'ping' | 'pong';

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
 * One logical IM connection over successive sockets, on a ReconnectingLink (backoff with jitter,
 * paused while the app is hidden or offline, at once when it comes back): login (MobileIMSDK type
 * 0, re-sent with the first login's `firstLoginTime` so the server's kick arbitration knows it) and
 * keep-alive. A refused login with 1025 gets one fresh session; 1027 is retried; any other
 * refusal, and a kick-out (type 54), end it. Close codes follow their ranges
 * (`@hutong/protocol/close-codes`): 4500–4599 (4503 draining) reconnects at once; 4401 (the session
 * was logged out) ends it, never reusing the token; 4440 (the session expired) gets one fresh
 * session, as 1025; any other 4400–4499 ends it; the rest (4008 slow consumer, 4029 pre-login
 * flood, the network) reconnect with backoff.
 */
export class ImConnection {
  #state: ImState = 'closed';
  #socket: PlatformSocket | undefined;
  readonly #link: ReconnectingLink;
  #loggedIn = false;
  #everOnline = false;
  #refreshed = false;
  /** The next attempt asks for a fresh session (1025, or 4440: the server ended this one). */
  #stale = false;
  #timers: Record<TimerName, unknown> = { login: undefined, ping: undefined, pong: undefined };
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
    this.#link = new ReconnectingLink(
      platform,
      {
        reconnectDelayMs: options.reconnectDelayMs,
        maxReconnectDelayMs: options.maxReconnectDelayMs,
        maxTries: Number.POSITIVE_INFINITY,
      },
      {
        connect: (attempt) => void this.#connect(attempt),
        // The host suspends the JS thread soon: stop keep-alives rather than misread silence.
        pause: () => {
          this.#clear('ping');
          this.#clear('pong');
        },
        check: () => this.#ping(), // a quick liveness check
      },
    );
  }

  get state(): ImState {
    return this.#state;
  }

  start(): void {
    if (this.#state !== 'closed') return;
    this.#everOnline = false;
    this.#refreshed = false;
    this.#stale = false;
    this.firstLoginTime = 0;
    this.#setState('connecting');
    this.#link.start();
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
    this.#link.stop();
    if (this.credentials) this.send(clientFrames.logout(this.credentials.userId));
    this.#closeSocket(closeCodes.normal, 'closed by client');
    this.#stopTimers();
    this.#setState('closed');
  }

  async #connect(attempt: number): Promise<void> {
    const refresh = this.#stale;
    this.#stale = false;
    this.#closeSocket(closeCodes.normal, 'superseded');
    let credentials: ImCredentials;
    try {
      credentials = await this.#hooks.credentials(refresh);
    } catch (error) {
      if (!this.#link.current(attempt)) return;
      if (error instanceof ImError && error.type === imErrorTypes.authFailed)
        this.#end('authFailed', -1, error.message);
      else this.#retry(`no session: ${String((error as Error)?.message ?? error)}`);
      return;
    }
    if (!this.#link.current(attempt)) return;
    this.credentials = credentials;
    let socket: PlatformSocket;
    try {
      socket = this.#platform.connect(this.#options.url);
    } catch (error) {
      this.#retry(`socket not opened: ${String(error)}`);
      return;
    }
    this.#socket = socket;
    const current = () => this.#link.current(attempt) && this.#socket === socket;
    socket.onOpen(() => {
      if (current()) this.#sendLogin();
    });
    socket.onMessage((data) => {
      if (current()) this.#onData(data, attempt);
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

  #onData(data: string | ArrayBuffer, attempt: number): void {
    this.#clear('pong'); // any frame shows the link is alive
    const frame = parseFrame(data);
    if (!frame) this.#hooks.badFrame();
    else if (frame.type === imFrameTypes.loginResponse) this.#onLoginResponse(frame, attempt);
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

  #onLoginResponse(frame: ImFrame, attempt: number): void {
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
      this.#link.succeeded(attempt);
      this.#refreshed = false;
      const reconnected = this.#everOnline;
      this.#everOnline = true;
      this.#setState('online');
      this.#hooks.online(reconnected);
      this.#nextPing();
      return;
    }
    this.#closeSocket(closeCodes.normal, 'login refused');
    this.#hooks.log(`login refused: ${code}`);
    if (code === imCodes.tokenInvalid && !this.#refreshed && this.#hooks.refreshable()) {
      this.#refreshed = true;
      this.#stale = true;
      this.#retry('the session was refused: asking for a fresh one', true);
    } else if (code === imCodes.verifyUnavailable) this.#retry('the server could not check the login');
    else this.#end('authFailed', code, `login refused (${code})`);
  }

  /** The server closed the link: see the class comment for what each code does. */
  #closedBy(code: number, reason: string): void {
    const why = `closed ${code} ${reason}`;
    if (code === imCloseCodes.sessionExpired && !this.#refreshed && this.#hooks.refreshable()) {
      this.#refreshed = true;
      this.#stale = true;
      this.#retry(why, true);
      return;
    }
    const advice = closeAdvice(code);
    if (advice === 'stop') {
      const fallback = code === imCloseCodes.loggedOut ? 'logged out' : 'session expired';
      this.#end('authFailed', code, reason || fallback);
    } else this.#retry(why, advice === 'reconnect-now');
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
    this.#closeSocket(closeCodes.noPong, why);
    this.#retry(why);
  }

  /** Down: another attempt after a backoff, or `now`, or when the app and network are back. */
  #retry(why: string, now = false): void {
    if (this.#state === 'closed') return;
    this.#hooks.log(`link down: ${why}`);
    this.#closeSocket(closeCodes.normal, 'reconnecting');
    this.#stopTimers();
    if (this.#state === 'online') this.#setState('reconnecting');
    this.#link.retry(now ? 'reconnect-now' : 'reconnect');
  }

  // ---- keep-alive (type 1 every keepAliveMs; no frame within pongTimeoutMs → dead) -----------

  #nextPing(): void {
    this.#clear('ping');
    if (this.#link.hidden || !this.#loggedIn) return;
    this.#timers.ping = this.#platform.setTimeout(() => this.#ping(), this.#options.keepAliveMs);
  }

  #ping(): void {
    if (!this.#loggedIn || !this.credentials || this.#link.hidden) return;
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
    for (const name of ['login', 'ping', 'pong'] as const) this.#clear(name);
  }

  #setState(to: ImState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#hooks.state(from, to);
  }
}
