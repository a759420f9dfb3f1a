import type { HutongClient } from './client.js';
import { ImClient } from './im-client.js';
import type { ImMessage, ImOptions, ImOutgoing, ImSent } from './im-types.js';
import { fingerprint, imCodes, isRecord } from './im-wire.js';

/** MobileIMSDK's `Protocal`, as `callback_onIMData` gets it and `sendData` takes it. */
export interface ImProtocal {
  type: number;
  dataContent: string;
  from: string;
  to: string;
  fp: string;
  QoS: boolean;
  typeu: number;
  bridge: boolean;
  sm: number;
  /** Hutong's additions on received messages. */
  sid?: number;
  seq?: number;
  conv?: string;
  group?: string;
}

/** MobileIMSDK's `createCommonData`: a data frame (QoS) with a fresh fingerprint. */
export function createCommonData(dataContent: string, from: string, to: string, typeu = -1): ImProtocal {
  return { type: 2, dataContent, from, to, fp: fingerprint(), QoS: true, typeu, bridge: false, sm: -1 };
}

const protocalOf = (m: ImOutgoing, from: string): ImProtocal => ({
  ...createCommonData(m.content, from, m.to, m.typeu),
  fp: m.fp,
});
const received = (m: ImMessage): ImProtocal => ({
  ...createCommonData(m.content, m.from, m.to, m.typeu),
  fp: m.fp,
  sm: m.sentAt,
  sid: m.sid,
  seq: m.seq,
  conv: m.conv,
  ...(m.group === undefined ? {} : { group: m.group }),
});

type Callback<A extends unknown[] = []> = ((...args: A) => void) | null;

/**
 * MobileIMSDK's mini program `IMSDK` — same method and callback names — over ImClient. What
 * differs is what it promises: `sendData` while offline queues (not "sent into the void"),
 * `callback_onMessagesBeReceived(fp)` means the server stored the message, and
 * `callback_onMessagesLost` comes only for messages the server never accepted.
 */
export class IMSDK {
  callback_onIMLog: Callback<[message: string, toConsole: boolean]> = null;
  callback_onIMData: Callback<[p: ImProtocal]> = null;
  callback_onIMAfterLoginSucess: Callback = null;
  callback_onIMAfterLoginFailed: Callback<[isReconnect: boolean]> = null;
  callback_onIMReconnectSucess: Callback = null;
  callback_onIMDisconnected: Callback = null;
  callback_onIMPing: Callback = null;
  callback_onIMPong: Callback = null;
  callback_onIMShowAlert: Callback<[text: string]> = null;
  callback_onIMKickout: Callback<[info: { code: number; reason: string }]> = null;
  callback_onMessagesLost: Callback<[lost: ImProtocal[]]> = null;
  callback_onMessagesBeReceived: Callback<[fingerprint: string]> = null;

  /** The ImClient underneath (after `loginImpl`), for the modern API. */
  im: ImClient | null = null;
  readonly #client: HutongClient;
  readonly #options: Omit<ImOptions, 'url'>;
  #logined = false;
  #debug = { core: false, sdk: false, pingPong: false };

  constructor(client: HutongClient, options: Omit<ImOptions, 'url'> = {}) {
    this.#client = client;
    this.#options = options;
  }

  setDebugCoreEnable(enable: boolean): void {
    this.#debug.core = enable;
  }
  setDebugSDKEnable(enable: boolean): void {
    this.#debug.sdk = enable;
  }
  setDebugPingPongEnable(enable: boolean): void {
    this.#debug.pingPong = enable;
  }

  /** Connects to `wsUrl` and logs in (again, on every reconnect). Returns 0, or 4 for a login without a user id. */
  loginImpl(
    loginInfo: { loginUserId: string; loginToken?: string; extra?: string | null },
    wsUrl: string,
  ): number {
    if (!isRecord(loginInfo) || typeof loginInfo.loginUserId !== 'string' || !loginInfo.loginUserId) {
      return imCodes.invalidProtocal;
    }
    this.im?.close();
    const im = new ImClient(this.#client, { ...this.#options, url: wsUrl });
    this.im = im;
    this.#wire(im);
    this.#log('sdk', `login ${loginInfo.loginUserId} at ${wsUrl}`);
    void im.connect({
      userId: loginInfo.loginUserId,
      token: loginInfo.loginToken ?? '',
      ...(loginInfo.extra === undefined ? {} : { extra: loginInfo.extra }),
    });
    return imCodes.ok;
  }

  /** The first login succeeded (true across drops, until logout or kick-out). */
  isLogined(): boolean {
    return this.#logined;
  }

  isOnline(): boolean {
    return this.im?.state === 'online';
  }

  getLoginInfo() {
    return this.im?.loginInfo ?? null;
  }

  /**
   * Sends `p` (from `createCommonData`). Returns 0 when it is on its way or queued — `fnSuccess`
   * then runs when the server accepted it, `fnFail` when it was lost or refused — 1 when not
   * logged in, 4 when `p` is not a data frame for this user. `fnComplete` runs after either.
   */
  sendData(
    p: ImProtocal,
    fnSuccess?: (sent: ImSent) => void,
    fnFail?: (error: Error) => void,
    fnComplete?: () => void,
  ): number {
    const im = this.im;
    if (!im || im.state === 'closed') return imCodes.noLogin;
    if (!isRecord(p) || typeof p.to !== 'string' || typeof p.dataContent !== 'string')
      return imCodes.invalidProtocal;
    if (typeof p.from === 'string' && im.userId !== undefined && p.from !== im.userId)
      return imCodes.invalidProtocal;
    const options = {
      ...(typeof p.fp === 'string' && p.fp ? { fp: p.fp } : {}),
      ...(typeof p.typeu === 'number' ? { typeu: p.typeu } : {}),
    };
    im.send(p.to, p.dataContent, options)
      .then(
        (sent) => fnSuccess?.(sent),
        (error: Error) => fnFail?.(error),
      )
      .finally(() => fnComplete?.());
    return imCodes.ok;
  }

  /** Logs out and closes (MobileIMSDK's name). */
  disconnectSocket(): void {
    const im = this.im;
    this.im = null;
    this.#logined = false;
    im?.close();
  }

  createCommonData(dataContent: string, from: string, to: string, typeu = -1): ImProtocal {
    return createCommonData(dataContent, from, to, typeu);
  }

  #wire(im: ImClient): void {
    const current = () => this.im === im;
    im.on('online', ({ reconnected }) => {
      if (!current()) return;
      const first = !this.#logined;
      this.#logined = true;
      if (first && !reconnected) this.callback_onIMAfterLoginSucess?.();
      else this.callback_onIMReconnectSucess?.();
    });
    im.on('state', ({ from }) => {
      if (current() && from === 'online') this.callback_onIMDisconnected?.();
    });
    im.on('authFailed', ({ code }) => {
      if (!current()) return;
      const isReconnect = this.#logined;
      this.#logined = false;
      this.callback_onIMAfterLoginFailed?.(isReconnect);
      if (isReconnect) this.callback_onIMShowAlert?.(`重新登录失败 (${code})`);
    });
    im.on('kicked', (info) => {
      if (!current()) return;
      this.#logined = false;
      if (this.callback_onIMKickout) this.callback_onIMKickout(info);
      else this.callback_onIMShowAlert?.(info.code === 2 ? '已被管理员强行踢出' : '账号已在其它地方登录');
    });
    im.on('message', (m) => current() && this.callback_onIMData?.(received(m)));
    im.on('accepted', ({ fp }) => current() && this.callback_onMessagesBeReceived?.(fp));
    const lost = (list: ImOutgoing[]) =>
      this.callback_onMessagesLost?.(list.map((m) => protocalOf(m, im.userId ?? '')));
    im.on('messagesLost', (list) => current() && lost(list));
    im.on('refused', ({ message }) => current() && lost([message]));
    im.on('ping', () => current() && this.callback_onIMPing?.());
    im.on('pong', () => current() && this.callback_onIMPong?.());
    im.on('log', ({ topic, message }) => {
      if (current()) this.#log(topic === 'pingpong' ? 'pingPong' : 'core', message);
    });
  }

  #log(topic: 'core' | 'sdk' | 'pingPong', message: string): void {
    if (this.#debug[topic]) this.callback_onIMLog?.(`[IMSDK ${topic}] ${message}`, true);
  }
}
