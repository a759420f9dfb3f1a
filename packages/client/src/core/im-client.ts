import type { HutongClient } from './client.js';
import { Emitter } from './emitter.js';
import { ImConnection, type ImCredentials } from './im-connection.js';
import { type ImConnectOptions, imCredentials } from './im-credentials.js';
import { ImError, imErrorTypes } from './im-errors.js';
import {
  historyUrlOf,
  type ImConversation,
  type ImHistory,
  type ImHistoryOptions,
  requestHistory,
} from './im-history.js';
import { ImInbound } from './im-inbound.js';
import { ImOutbox } from './im-outbox.js';
import { ImSender } from './im-sender.js';
import type { ImEvents, ImLoginInfo, ImOptions, ImSent, ImState, ImStats } from './im-types.js';
import { clientFrames, fingerprint, utf8Length } from './im-wire.js';

export type { ImConnectOptions };

const defaults = {
  keepAliveMs: 15_000,
  pongTimeoutMs: 10_000,
  loginTimeoutMs: 10_000,
  reconnectDelayMs: 1000,
  maxReconnectDelayMs: 30_000,
  resendAfterMs: 5000,
  lostAfterMs: 60_000,
  maxSendRate: 40,
  maxOutbox: 1000,
  maxFrameBytes: 64 * 1024,
  dedupeSize: 2000,
};

/** A user id or `g:<group>`; never the server (`0`) or unset (`-1`). */
const validTarget = (to: unknown): to is string =>
  typeof to === 'string' && to.length > 0 && to.length <= 128 && to !== '0' && to !== '-1' && to !== 'g:';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Instant messaging over Hutong's `/im` (MobileIMSDK's wire) for one user of a HutongClient:
 * messages accepted by the server resolve `send`, survive drops and app restarts (a persisted
 * outbox, re-sent with the same fp), and arrive once, in order, with delivery and read receipts.
 */
export class ImClient extends Emitter<ImEvents> {
  readonly stats: ImStats = { badFrames: 0, received: 0, duplicates: 0, sent: 0, resent: 0, logins: 0 };
  readonly #client: HutongClient;
  readonly #options: typeof defaults & ImOptions;
  readonly #connection: ImConnection;
  readonly #outbox: ImOutbox;
  readonly #sender: ImSender;
  readonly #inbound: ImInbound;
  /** Read positions waiting for the next login, per conversation. */
  readonly #reads = new Map<string, number>();
  #given: ImConnectOptions = {};
  #userId: string | undefined;
  #ready: Deferred | undefined;

  constructor(client: HutongClient, options: ImOptions) {
    super();
    this.#client = client;
    const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    this.#options = { ...defaults, ...(given as ImOptions) };
    if (options.deviceId !== undefined && !/^[\w.:-]{1,64}$/.test(options.deviceId)) {
      throw new ImError(imErrorTypes.invalidParams, 'deviceId: letters, digits and ._:- (at most 64)');
    }
    const { platform } = client;
    this.#outbox = new ImOutbox(platform, this.#options.maxOutbox);
    this.#sender = new ImSender(
      platform,
      this.#outbox,
      this.#options,
      {
        transmit: (entry) => this.#connection.send(clientFrames.data(this.#userId ?? '', entry)),
        lost: (entries) =>
          this.dispatch(
            'messagesLost',
            entries.map(({ fp, to, content, typeu }) => ({ fp, to, content, typeu })),
          ),
      },
      this.stats,
    );
    this.#inbound = new ImInbound({
      me: () => this.#userId ?? '',
      send: (text) => this.#connection.send(text),
      outbox: this.#outbox,
      sender: this.#sender,
      stats: this.stats,
      dedupeSize: this.#options.dedupeSize,
      dispatch: (event, payload) => this.dispatch(event, payload),
    });
    this.#connection = new ImConnection(platform, this.#options, {
      credentials: (refresh) => this.#credentials(refresh),
      refreshable: () => this.#given.token === undefined,
      state: (from, to) => {
        if (to !== 'online') this.#sender.offline();
        this.dispatch('state', { from, to });
      },
      online: (reconnected) => this.#online(reconnected),
      frame: (frame) => this.#inbound.handle(frame),
      badFrame: () => {
        this.stats.badFrames += 1;
      },
      ended: ({ kind, code, reason }) => {
        const type = kind === 'kicked' ? imErrorTypes.kicked : imErrorTypes.authFailed;
        this.#shutdown(new ImError(type, reason || kind, { code }));
        this.dispatch(kind, { code, reason });
      },
      ping: () => this.#event('ping', 'pingpong', 'keep-alive sent'),
      pong: () => this.#event('pong', 'pingpong', 'pong'),
      log: (message) => this.#log('core', message),
    });
  }

  get state(): ImState {
    return this.#connection.state;
  }

  get userId(): string | undefined {
    return this.#userId;
  }

  /** The last login frame's content, or null before the first attempt. */
  get loginInfo(): ImLoginInfo | null {
    const credentials = this.#connection.credentials;
    if (!credentials) return null;
    const { userId, token, extra } = credentials;
    return { loginUserId: userId, loginToken: token, extra, firstLoginTime: this.#connection.firstLoginTime };
  }

  /** Messages waiting for the server's acknowledgement. */
  get queued(): number {
    return this.#outbox.size;
  }

  /**
   * Connects and stays connected until `close()`, a kick-out or a refused login. Resolves when
   * first online; rejects with ERR_IM_AUTH_FAILED / ERR_IM_CLOSED. No need to await it: sends
   * queue meanwhile.
   */
  connect(options: ImConnectOptions = {}): Promise<void> {
    if (this.state === 'online') return Promise.resolve();
    if (this.state !== 'closed' && this.#ready) return this.#ready.promise;
    this.#given = options;
    this.#userId = undefined;
    let settle: Omit<Deferred, 'promise'> | undefined;
    const promise = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    promise.catch(() => {}); // an app that does not await it gets the `authFailed` event instead
    this.#ready = { promise, ...settle! };
    if (options.userId !== undefined) this.#bind(options.userId);
    this.#connection.start();
    return promise;
  }

  /**
   * Sends `content` to a user id or `g:<groupId>`. Resolves when the server has accepted (stored)
   * it, with its `sid`, conversation `seq` and `conv`. While offline it waits in the outbox.
   */
  send(to: string, content: string, options: { typeu?: number; fp?: string } = {}): Promise<ImSent> {
    const { typeu = -1, fp = fingerprint() } = options;
    if (this.state === 'closed') {
      return Promise.reject(new ImError(imErrorTypes.closed, 'not connected: call connect() first'));
    }
    if (
      !validTarget(to) ||
      typeof content !== 'string' ||
      !Number.isInteger(typeu) ||
      !fp ||
      fp.length > 128
    ) {
      return Promise.reject(
        new ImError(
          imErrorTypes.invalidParams,
          'send(to, content): `to` is a user id or g:<groupId>, `content` a string',
        ),
      );
    }
    // The sender id is not known before the first login: leave room for the longest (128 × 3 bytes).
    const size = utf8Length(clientFrames.data('', { to, content, fp, typeu })) + 384;
    if (size > this.#options.maxFrameBytes) {
      return Promise.reject(new ImError(imErrorTypes.tooLarge, `the message needs ${size} bytes`));
    }
    const promise = this.#outbox.add({ fp, to, content, typeu });
    this.#sender.flush();
    return promise;
  }

  /** Tells the conversation's other users (and this user's other devices) that it is read up to `seq`. */
  markRead(conv: string, seq: number): void {
    if (typeof conv !== 'string' || !conv || !Number.isSafeInteger(seq) || seq < 1) {
      throw new ImError(imErrorTypes.invalidParams, 'markRead(conv, seq): a conversation id and a seq ≥ 1');
    }
    if (!this.#userId || !this.#connection.send(clientFrames.read(this.#userId, conv, seq))) {
      this.#reads.set(conv, Math.max(seq, this.#reads.get(conv) ?? 0));
    }
  }

  /** A conversation's stored messages (`GET …/im/history`), oldest first. */
  history(conversation: ImConversation, options: ImHistoryOptions = {}): Promise<ImHistory> {
    const url = this.#options.historyUrl ?? historyUrlOf(this.#options.url);
    return requestHistory(this.#client, url, conversation, options);
  }

  /** Logs out (type 3) and closes. Unacknowledged messages stay stored for the next connect. Idempotent. */
  close(): void {
    if (this.state === 'closed') return;
    this.#connection.stop();
    this.#shutdown(new ImError(imErrorTypes.closed, 'the IM client was closed'));
  }

  // ---- login ---------------------------------------------------------------------------------

  async #credentials(refresh: boolean): Promise<ImCredentials> {
    const { userId, token } = await imCredentials(this.#client, this.#given, refresh);
    if (this.#userId !== undefined && this.#userId !== userId) {
      throw new ImError(imErrorTypes.authFailed, `the session is now another user's (${userId})`);
    }
    if (this.#userId === undefined) this.#bind(userId);
    const { deviceId } = this.#options;
    const { extra } = this.#given;
    return {
      userId,
      token,
      extra: extra !== undefined ? extra : deviceId ? JSON.stringify({ deviceId }) : null,
    };
  }

  #bind(userId: string): void {
    this.#userId = userId;
    this.#outbox.bind(userId);
  }

  #online(reconnected: boolean): void {
    this.stats.logins += 1;
    this.#ready?.resolve();
    this.#sender.online();
    for (const [conv, seq] of this.#reads) {
      if (this.#connection.send(clientFrames.read(this.#userId ?? '', conv, seq))) this.#reads.delete(conv);
    }
    this.#log('core', reconnected ? 'online again' : 'online');
    this.dispatch('online', { reconnected, firstLoginTime: this.#connection.firstLoginTime });
  }

  #shutdown(error: ImError): void {
    this.#sender.offline();
    this.#outbox.release(error);
    this.#reads.clear();
    this.#ready?.reject(error);
    this.#ready = undefined;
  }

  #event(event: 'ping' | 'pong', topic: 'pingpong', message: string): void {
    this.#log(topic, message);
    this.dispatch(event, undefined);
  }

  #log(topic: 'core' | 'pingpong', message: string): void {
    if (this.listenerCount('log') > 0) this.dispatch('log', { topic, message });
  }
}
