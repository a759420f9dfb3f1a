import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Broker, ImSignal } from '@hutong/core';
import { conversationOf, type InboxEntry, type MessageStore, type StoredMessage } from '@hutong/core';
import {
  decodeContent,
  decodeProtocal,
  encodeProtocal,
  IM_MAX_FRAME_BYTES,
  IM_SERVER,
  IM_UNSET,
  imCloseCodes,
  imErrorCodes,
  imExtensionTypes,
  imHutongCodes,
  imKickoutCodes,
  imTypes,
  LoginInfo,
  type Protocal,
  serverFrames,
} from '@hutong/protocol/im';
import type { Logger } from 'pino';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { SendBudget } from '../http/send-budget.js';
import { ImDevice } from './im-device.js';
import { sessionIdOf, TokenBucket } from './im-limits.js';
import {
  deviceOf,
  type ImHooks,
  type ImHubOptions,
  type LoginVerdict,
  type ResolvedOptions,
  resolveOptions,
  validUserId,
} from './im-options.js';

/** Where IM clients connect (WebSocket). */
export const IM_PATH = '/im';

export { imCloseCodes, imExtensionTypes, imHutongCodes } from '@hutong/protocol/im';
export { imLimitDefaults } from './im-limits.js';
export type { ImHooks, ImHubOptions, LoginVerdict } from './im-options.js';

/** A session check that could not be answered (store down) is tried again this much later. */
const SESSION_RETRY_MS = 10_000;

const keyOf = (sender: string, fp: string) => `${sender}\u0000${fp}`;

/**
 * The IM endpoint (`/im`): MobileIMSDK's `Protocal` frames with delivery that means something. A
 * data message is stored (conversation `seq`, server `sid`) before the sender gets its ACK, written
 * to every connected device of each recipient, resent until the device ACKs, and kept in the
 * recipient's inbox so a device that was away gets it on its next login, in order.
 */
export class ImHub {
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: IM_MAX_FRAME_BYTES,
    perMessageDeflate: false,
  });
  readonly #users = new Map<string, Map<string, ImDevice>>();
  readonly #byWs = new Map<WebSocket, ImDevice>();
  /** Every open connection and when it last sent a frame (idle expiry). */
  readonly #seen = new Map<WebSocket, number>();
  readonly #options: ResolvedOptions;
  readonly #broker: Broker | undefined;
  readonly #store: MessageStore;
  readonly #verify: ImHubOptions['verifyLogin'];
  readonly #hooks: ImHooks;
  readonly #logger: Logger | undefined;
  readonly #onError: ImHubOptions['onError'];
  readonly #timer: NodeJS.Timeout;
  /** Users with a device logged in on this node. */
  get userCount(): number {
    return this.#users.size;
  }

  /** Devices logged in on this node. */
  get deviceCount(): number {
    let devices = 0;
    for (const byDevice of this.#users.values()) devices += byDevice.size;
    return devices;
  }

  readonly stats = {
    accepted: 0,
    duplicates: 0,
    delivered: 0,
    resent: 0,
    badFrames: 0,
    foreignAcks: 0,
    kicked: 0,
    brokerErrors: 0,
    /** Connections closed for too many frames before login (4029). */
    unloggedFloods: 0,
    /** Connections closed because their send buffer passed `maxBufferedBytes` (4008). */
    slowConsumers: 0,
    /** Connections closed because their session was logged out (4401) or expired (4440). */
    sessionsEnded: 0,
  };

  /** Writes every frame within the socket's byte budget (`maxBufferedBytes`). */
  readonly #budget: SendBudget;

  /** The most bytes one socket had queued after a write (bounded by `maxBufferedBytes`). */
  get peakBufferedBytes(): number {
    return this.#budget.peakBuffered;
  }

  constructor(options: ImHubOptions) {
    this.#store = options.store;
    this.#verify = options.verifyLogin;
    this.#hooks = options.hooks ?? {};
    this.#logger = options.logger;
    this.#onError = options.onError;
    this.#broker = options.broker;
    this.#broker?.onSignals((signals) => this.#onSignals(signals));
    this.#options = resolveOptions(options);
    this.#budget = new SendBudget(this.#options.maxBufferedBytes, (ws) => this.#slowConsumer(ws));
    this.#timer = setInterval(() => this.#tick(), Math.min(1000, this.#options.resendMs / 2)).unref();
  }

  /** Devices of a user connected to this node. */
  devices(userId: string): string[] {
    return [...(this.#users.get(userId)?.keys() ?? [])];
  }

  handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
  };

  /** Ends every connection (by default going away; a drain asks clients to reconnect elsewhere). */
  async close(code = 1001, reason = 'server shutting down'): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all([...this.#byWs.values()].map((device) => this.#saveCursor(device)));
    for (const ws of this.#wss.clients) ws.close(code, reason);
    this.#wss.close();
  }

  /**
   * Ends the connections logged in with a session that was logged out, here and on other nodes:
   * those whose login token was `token`, or, without one, every session-bound login of the user
   * (a verdict with `expiresAt`). They are closed with imCloseCodes.loggedOut.
   */
  endSession(userId: string, token?: string): void {
    const session = token === undefined ? undefined : sessionIdOf(token);
    this.#endSessions(userId, session);
    this.#toOtherNodes([userId], () => [
      { kind: 'logout', userId, ...(session === undefined ? {} : { session }) },
    ]);
  }

  #endSessions(userId: string, session: string | undefined): void {
    for (const device of [...(this.#users.get(userId)?.values() ?? [])]) {
      if (session === undefined ? device.sessionBound : device.session === session)
        this.#end(device, imCloseCodes.loggedOut, 'logged out');
    }
  }

  #end(device: ImDevice, code: number, reason: string): void {
    this.stats.sessionsEnded += 1;
    this.#forget(device);
    device.ws.close(code, reason);
  }

  #slowConsumer(ws: WebSocket): void {
    this.stats.slowConsumers += 1;
    const device = this.#byWs.get(ws);
    if (device) this.#forget(device); // what it has not acknowledged comes with its next login
    ws.close(imCloseCodes.slowConsumer, 'slow consumer');
  }

  #accept(ws: WebSocket): void {
    this.#seen.set(ws, Date.now());
    let busy = Promise.resolve();
    const early = new TokenBucket(this.#options.preLoginPerSecond, this.#options.preLoginBurst);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (ws.readyState !== WebSocket.OPEN) return; // closing: nothing more is handled
      this.#seen.set(ws, Date.now());
      // Before login every frame (login, echo, anything) costs a token: a client that is nobody
      // yet gets a few frames, not a server that queues and answers without bound.
      if (!this.#byWs.has(ws) && !early.take()) {
        this.stats.unloggedFloods += 1;
        ws.close(imCloseCodes.unloggedFlood, 'too many frames before login');
        return;
      }
      if (isBinary) {
        this.stats.badFrames += 1;
        ws.close(1003, 'text frames only');
        return;
      }
      // Frames of one connection are handled one after another (a login completes before data).
      busy = busy
        .then(() => this.#onFrame(ws, String(data)))
        .catch((err: unknown) => {
          this.#logger?.error({ err }, 'IM frame handling failed');
        });
    });
    ws.on('error', () => {});
    ws.on('close', () => this.#closed(ws));
  }

  async #onFrame(ws: WebSocket, text: string): Promise<void> {
    const decoded = decodeProtocal(text);
    if (!decoded.ok) {
      this.stats.badFrames += 1;
      this.#send(ws, serverFrames.error(imErrorCodes.invalidProtocal, decoded.error.message));
      return;
    }
    const frame = decoded.value;
    const device = this.#byWs.get(ws);
    switch (frame.type) {
      case imTypes.login:
        return this.#login(ws, frame, device);
      case imTypes.echo:
        this.#send(ws, serverFrames.echo(frame));
        return;
    }
    if (!device) {
      // MobileIMSDK: anything but login and echo before login is answered 301, then closed.
      this.#send(ws, serverFrames.error(imErrorCodes.responseForUnlogin, text.slice(0, 1024)));
      ws.close(1000, 'not logged in');
      return;
    }
    switch (frame.type) {
      case imTypes.keepAlive:
        this.#send(ws, serverFrames.pong(device.userId));
        return;
      case imTypes.logout:
        ws.close(1000, 'logout');
        return;
      case imTypes.data:
        return this.#data(device, frame);
      case imTypes.ack:
        return this.#ack(device, frame);
      case imExtensionTypes.read:
        return this.#read(device, frame);
      default:
        this.stats.badFrames += 1; // unknown types are ignored, as MobileIMSDK does
    }
  }

  async #login(ws: WebSocket, frame: Protocal, current: ImDevice | undefined): Promise<void> {
    const info = decodeContent(LoginInfo, frame.dataContent);
    if (!info.ok) {
      this.#send(
        ws,
        serverFrames.loginResponse(IM_UNSET, { code: imErrorCodes.invalidProtocal, firstLoginTime: -1 }),
      );
      ws.close(1000, 'bad login');
      return;
    }
    const { loginUserId: userId, loginToken, extra } = info.value;
    if (!validUserId(userId)) {
      this.#send(
        ws,
        serverFrames.loginResponse(IM_UNSET, { code: imErrorCodes.invalidProtocal, firstLoginTime: -1 }),
      );
      ws.close(1000, 'bad user id');
      return;
    }
    if (current) {
      // A second login on a logged-in connection: the same user is told yes again, another user no.
      if (current.userId === userId) {
        this.#send(
          ws,
          serverFrames.loginResponse(userId, { code: 0, firstLoginTime: current.firstLoginTime }),
        );
      } else
        this.#send(ws, serverFrames.error(imErrorCodes.invalidProtocal, 'already logged in as another user'));
      return;
    }
    let verdict: LoginVerdict;
    try {
      verdict = await this.#verify({ userId, token: loginToken ?? '', extra: extra ?? null });
    } catch (err) {
      this.#logger?.warn({ err }, 'IM login verification failed');
      verdict = { ok: false, code: imHutongCodes.verifyUnavailable };
    }
    if (ws.readyState !== WebSocket.OPEN) return;
    if (!verdict.ok) {
      this.#send(ws, serverFrames.loginResponse(IM_UNSET, { code: verdict.code, firstLoginTime: -1 }));
      ws.close(1000, 'login refused');
      return;
    }
    const clientFirst = info.value.firstLoginTime ?? 0;
    const firstLoginTime = clientFirst > 0 ? clientFirst : Date.now();
    const deviceId = this.#options.singleDevice ? 'default' : deviceOf(extra);
    let cursor: number;
    try {
      cursor = await this.#store.cursor(userId, deviceId);
    } catch (err) {
      this.#logger?.warn({ err }, 'IM login: store unavailable');
      this.#send(
        ws,
        serverFrames.loginResponse(IM_UNSET, { code: imHutongCodes.verifyUnavailable, firstLoginTime: -1 }),
      );
      ws.close(1000, 'store unavailable');
      return;
    }
    if (ws.readyState !== WebSocket.OPEN) return;
    // Read after the last await: what is connected now (another login may have run meanwhile).
    const devices = this.#users.get(userId) ?? new Map<string, ImDevice>();
    const rivals = this.#options.singleDevice
      ? [...devices.values()]
      : [devices.get(deviceId)].filter((d) => d !== undefined);
    if (rivals.length === 0 && devices.size >= this.#options.maxDevicesPerUser) {
      this.#send(
        ws,
        serverFrames.loginResponse(IM_UNSET, { code: imHutongCodes.tooManyDevices, firstLoginTime: -1 }),
      );
      ws.close(1000, 'too many devices');
      return;
    }
    this.#send(ws, serverFrames.loginResponse(userId, { code: 0, firstLoginTime }));
    // Kick arbitration by firstLoginTime (MobileIMSDK §4.5): a stale device that reconnects after
    // it was replaced is the one kicked.
    for (const rival of rivals) {
      if (clientFirst > 0 && clientFirst < rival.firstLoginTime) {
        this.#kick(ws, userId, imKickoutCodes.duplicateLogin, 'a newer login replaced this device');
        return;
      }
    }
    for (const rival of rivals) {
      if (clientFirst > 0 && clientFirst === rival.firstLoginTime) this.#drop(rival);
      else this.#kick(rival.ws, userId, imKickoutCodes.duplicateLogin, 'logged in elsewhere');
    }
    const rate = this.#options.maxMessagesPerSecond;
    const reads = this.#options.maxReadsPerSecond;
    const device = new ImDevice(
      ws,
      { userId, token: loginToken ?? '', extra: extra ?? null },
      deviceId,
      firstLoginTime,
      cursor,
      { messages: new TokenBucket(rate, 2 * rate), reads: new TokenBucket(reads, 2 * reads) },
      verdict.expiresAt,
    );
    if (devices.size === 0) this.#viaBroker('im enter', (broker) => broker.enter(userId));
    devices.set(deviceId, device);
    this.#users.set(userId, devices);
    this.#byWs.set(ws, device);
    this.#hooks.online?.(userId, deviceId);
    this.#toOtherNodes([userId], () => [
      { kind: 'login', userId, device: deviceId, firstLoginTime, clientFirstLoginTime: clientFirst },
    ]);
    await this.#sync(device);
  }

  /**
   * Sends the inbox after what the device has (its cursor, or what was written to it), page by
   * page; live messages wait meanwhile, then follow in order. A call while one runs makes it read
   * once more (messages another node accepted meanwhile).
   */
  async #sync(device: ImDevice): Promise<void> {
    if (device.syncing) {
      device.dirty = true;
      return;
    }
    device.syncing = true;
    device.waiting = [];
    try {
      do {
        device.dirty = false;
        for (;;) {
          const after = Math.max(device.cursor, device.written);
          const page = await this.#store.pending(device.userId, after, this.#options.backlogPage);
          for (const { iseq, message } of page) {
            const key = keyOf(message.sender, message.fp ?? `sid:${message.sid}`);
            this.#write(device, iseq, this.#dataFrame(message, device.userId), key);
          }
          // A socket closed meanwhile (gone, a slow consumer) gets the rest at its next login.
          if (page.length < this.#options.backlogPage || device.ws.readyState !== WebSocket.OPEN) break;
        }
      } while (device.dirty);
    } catch (err) {
      this.#logger?.warn({ err, userId: device.userId }, 'IM backlog not read; it comes with the next login');
    } finally {
      const waiting = device.waiting ?? [];
      device.waiting = undefined;
      device.syncing = false;
      for (const item of waiting) this.#deliverLive(device, item.iseq, item.frame, item.key);
    }
  }

  async #data(device: ImDevice, frame: Protocal): Promise<void> {
    const now = Date.now();
    const fp = frame.fp ?? null;
    // Errors about a message name it in `fp`, so the client knows which one was not accepted.
    const refuse = (code: number, text: string) =>
      this.#send(device.ws, { ...serverFrames.error(code, text), ...(fp === null ? {} : { fp }) });
    if (!device.limits.messages.take(now)) {
      refuse(imHutongCodes.rateLimited, `at most ${this.#options.maxMessagesPerSecond} messages a second`);
      return;
    }
    if (frame.from !== device.userId) {
      refuse(imErrorCodes.invalidProtocal, '`from` must be the logged-in user');
      return;
    }
    const to = frame.to ?? IM_UNSET;
    const group = to.startsWith('g:');
    const target = group ? to.slice(2) : to;
    // A user id with `|` would make `c:<a>|<b>` name another conversation: no such user can log in.
    if (!target || target === IM_UNSET || target === IM_SERVER || (!group && !validUserId(target))) {
      refuse(imErrorCodes.invalidProtocal, '`to` must name a user (no `|`, not 0 or -1) or a group (g:<id>)');
      return;
    }
    const content = frame.dataContent ?? '';
    const typeu = frame.typeu ?? -1;
    try {
      if (
        this.#hooks.beforeForward &&
        !(await this.#hooks.beforeForward({ from: device.userId, to: target, group, typeu, content }))
      ) {
        refuse(imHutongCodes.refused, 'refused by the business side');
        return;
      }
      let recipients = [target];
      if (group) {
        const members = await this.#store.members(target);
        if (!members.includes(device.userId)) {
          refuse(imHutongCodes.refused, 'not a member of that group');
          return;
        }
        recipients = members.filter((m) => m !== device.userId);
      }
      const accepted = await this.#store.accept({
        conv: conversationOf(device.userId, target, group),
        sender: device.userId,
        target,
        recipients,
        fp,
        typeu,
        content,
        createdAt: now,
      });
      const { message } = accepted;
      if (fp !== null) {
        // The sender's ACK means "accepted": stored, numbered, on its way.
        this.#send(device.ws, {
          ...serverFrames.ack(to, device.userId, fp),
          sid: message.sid,
          seq: message.seq,
          conv: message.conv,
        } as Protocal);
      }
      if (accepted.duplicate) {
        this.stats.duplicates += 1;
        return;
      }
      this.stats.accepted += 1;
      const reached = accepted.inbox.map(({ userId, iseq }) => {
        const devices = [...(this.#users.get(userId)?.values() ?? [])];
        const frameText = this.#dataFrame(message, userId);
        for (const target of devices)
          this.#deliverLive(
            target,
            iseq,
            frameText,
            keyOf(message.sender, message.fp ?? `sid:${message.sid}`),
          );
        return { userId, online: devices.length > 0 };
      });
      const positions = new Map(accepted.inbox.map((entry) => [entry.userId, entry.iseq]));
      this.#toOtherNodes([...positions.keys()], (userId) => [
        { kind: 'inbox', userId, iseq: positions.get(userId)! },
      ]);
      this.#hooks.afterForward?.(message, reached);
    } catch (err) {
      this.#logger?.warn({ err }, 'IM message not accepted');
      refuse(imHutongCodes.notAccepted, 'not stored; send it again');
    }
  }

  /**
   * A message accepted here for a device here. Written only when it is the device's next inbox
   * number: one with a gap before it (an entry accepted by another node, not signalled yet) makes
   * the device read its inbox from the store instead, so it never gets messages out of order.
   */
  #deliverLive(device: ImDevice, iseq: number, frame: string, key: string): void {
    if (device.waiting) device.waiting.push({ iseq, frame, key });
    else if (iseq === device.next) this.#write(device, iseq, frame, key);
    else if (iseq > device.next) void this.#sync(device);
  }

  #write(device: ImDevice, iseq: number, frame: string, key: string): void {
    device.written = Math.max(device.written, iseq);
    device.inFlight.set(key, { iseq, frame, sentAt: Date.now(), tries: 0 });
    this.#budget.send(device.ws, frame);
  }

  /** A recipient's frame: the sender's Protocal, plus Hutong's `sid`, `seq`, `conv` (and the group). */
  #dataFrame(message: StoredMessage, to: string): string {
    const group = message.conv.startsWith('g:');
    return encodeProtocal({
      type: imTypes.data,
      dataContent: message.content,
      from: message.sender,
      to,
      fp: message.fp ?? `sid:${message.sid}`,
      QoS: true,
      typeu: message.typeu,
      sm: message.createdAt,
      sid: message.sid,
      seq: message.seq,
      conv: message.conv,
      ...(group ? { group: message.target } : {}),
    });
  }

  #ack(device: ImDevice, frame: Protocal): void {
    const fp = frame.dataContent;
    const sender = frame.to;
    if (typeof fp !== 'string' || typeof sender !== 'string') {
      this.stats.foreignAcks += 1;
      return;
    }
    const entry = device.acknowledge(keyOf(sender, fp));
    if (!entry) {
      // Not a message in flight to this device: someone else's, or already acknowledged.
      this.stats.foreignAcks += 1;
      return;
    }
    this.stats.delivered += 1;
    const receipt = encodeProtocal({
      type: imExtensionTypes.deliveryReceipt,
      dataContent: JSON.stringify({ fp, by: device.userId, device: device.device }),
      from: IM_SERVER,
      to: sender,
    });
    this.#toUsers([sender], receipt);
  }

  /** A read receipt: kept, then told to the conversation's other users on every node. */
  async #read(device: ImDevice, frame: Protocal): Promise<void> {
    if (!device.limits.reads.take()) {
      this.#send(
        device.ws,
        serverFrames.error(
          imHutongCodes.readsRateLimited,
          `at most ${this.#options.maxReadsPerSecond} read receipts a second`,
        ),
      );
      return;
    }
    let conv: unknown;
    let seq: unknown;
    try {
      ({ conv, seq } = JSON.parse(frame.dataContent ?? '') as { conv?: unknown; seq?: unknown });
    } catch {}
    if (typeof conv !== 'string' || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
      this.#send(
        device.ws,
        serverFrames.error(imErrorCodes.invalidProtocal, 'a read receipt is {conv, seq}'),
      );
      return;
    }
    try {
      const others = await this.#participants(conv, device.userId);
      if (!others) {
        this.#send(device.ws, serverFrames.error(imHutongCodes.refused, 'not a conversation of yours'));
        return;
      }
      // Never beyond the conversation's last message (a huge seq would stay and be told forever).
      const [last] = await this.#store.historyBefore(conv, Number.MAX_SAFE_INTEGER, 1);
      const upTo = Math.min(seq, last?.seq ?? 0);
      if (upTo < 1) {
        this.#send(device.ws, serverFrames.error(imErrorCodes.invalidProtocal, 'nothing to read there yet'));
        return;
      }
      const kept = await this.#store.markRead(conv, device.userId, upTo);
      const receipt = encodeProtocal({
        type: imExtensionTypes.read,
        dataContent: JSON.stringify({ conv, seq: kept, by: device.userId }),
        from: IM_SERVER,
        to: IM_UNSET,
      });
      // The reader's other devices learn it too (their unread counts).
      this.#toUsers(others, receipt);
      for (const mine of this.#users.get(device.userId)?.values() ?? []) {
        if (mine !== device) this.#sendText(mine.ws, receipt);
      }
      this.#toOtherNodes([device.userId], () => [{ kind: 'frame', userId: device.userId, frame: receipt }]);
    } catch (err) {
      this.#logger?.warn({ err }, 'IM read receipt not kept');
      this.#send(device.ws, serverFrames.error(imHutongCodes.notAccepted, 'read receipt not kept'));
    }
  }

  /** The other users of a conversation `userId` belongs to; null when it is not theirs. */
  async #participants(conv: string, userId: string): Promise<string[] | null> {
    if (conv.startsWith('g:')) {
      const members = await this.#store.members(conv.slice(2));
      return members.includes(userId) ? members.filter((m) => m !== userId) : null;
    }
    const pair = conv.startsWith('c:') ? conv.slice(2).split('|') : [];
    if (pair.length !== 2 || !pair.includes(userId)) return null;
    return pair.filter((u) => u !== userId);
  }

  /** A ready frame for every device of these users, here and on other nodes. */
  #toUsers(userIds: string[], frame: string): void {
    for (const userId of userIds) {
      for (const device of this.#users.get(userId)?.values() ?? []) this.#sendText(device.ws, frame);
    }
    this.#toOtherNodes(userIds, (userId) => [{ kind: 'frame', userId, frame }]);
  }

  /** Signals for the users' devices on other nodes (found through the broker's presence). */
  #toOtherNodes(userIds: string[], signalsFor: (userId: string) => ImSignal[]): void {
    if (userIds.length === 0) return;
    this.#viaBroker('im routing', async (broker) => {
      const byNode = new Map<string, ImSignal[]>();
      for (const [userId, nodes] of await broker.whereAre(userIds)) {
        for (const node of nodes) {
          if (node !== broker.nodeId) byNode.set(node, [...(byNode.get(node) ?? []), ...signalsFor(userId)]);
        }
      }
      await Promise.all([...byNode].map(([node, signals]) => broker.signal(node, signals)));
    });
  }

  #viaBroker(what: string, fn: (broker: Broker) => Promise<unknown>): void {
    if (!this.#broker) return;
    fn(this.#broker).catch((err: unknown) => {
      this.stats.brokerErrors += 1;
      this.#logger?.warn({ err }, `${what} failed; devices elsewhere catch up at their next login`);
    });
  }

  /** What other nodes say: new inbox entries, frames for our devices, logins elsewhere. */
  #onSignals(signals: ImSignal[]): void {
    for (const signal of signals) {
      const devices = [...(this.#users.get(signal.userId)?.values() ?? [])];
      if (signal.kind === 'inbox') {
        for (const device of devices) if (signal.iseq >= device.next) void this.#sync(device);
      } else if (signal.kind === 'frame') {
        for (const device of devices) this.#sendText(device.ws, signal.frame);
      } else if (signal.kind === 'logout') {
        this.#endSessions(signal.userId, signal.session);
      } else {
        for (const device of devices) {
          if (!this.#options.singleDevice && device.device !== signal.device) continue;
          const first = signal.clientFirstLoginTime;
          if (first <= 0 || first > device.firstLoginTime) {
            this.#kick(device.ws, device.userId, imKickoutCodes.duplicateLogin, 'logged in elsewhere');
          } else if (first === device.firstLoginTime) this.#drop(device);
        }
      }
    }
  }

  #kick(ws: WebSocket, userId: string, code: number, reason: string): void {
    this.stats.kicked += 1;
    this.#send(ws, serverFrames.kickout(userId, code, reason));
    const device = this.#byWs.get(ws);
    if (device) this.#forget(device);
    ws.close(1000, 'kicked');
  }

  /** Replaced by the same device's new connection: closed without a kick notice. */
  #drop(device: ImDevice): void {
    this.#forget(device);
    device.ws.terminate();
  }

  #closed(ws: WebSocket): void {
    this.#seen.delete(ws);
    const device = this.#byWs.get(ws);
    if (device) this.#forget(device);
  }

  /**
   * Saves how far a device has acknowledged. Cursors are written at most once per tick and when a
   * device goes, not per ACK: after a crash a device may get up to a tick's worth of messages again
   * (it drops them by fp or sid), which costs far less than a write per message.
   */
  #saveCursor(device: ImDevice): Promise<void> {
    if (device.cursor <= device.savedCursor) return Promise.resolve();
    const cursor = device.cursor;
    device.savedCursor = cursor;
    return this.#store.advance(device.userId, device.device, cursor).catch((err: unknown) => {
      this.#logger?.warn({ err }, 'IM cursor not saved; the device gets those messages again');
    });
  }

  #forget(device: ImDevice): void {
    void this.#saveCursor(device);
    this.#byWs.delete(device.ws);
    const devices = this.#users.get(device.userId);
    if (devices?.get(device.device) !== device) return;
    devices.delete(device.device);
    if (devices.size === 0) {
      this.#users.delete(device.userId);
      this.#viaBroker('im leave', (broker) => broker.leave(device.userId));
    }
    this.#hooks.offline?.(device.userId, device.device);
  }

  /** Closes idle connections; resends what devices have not acknowledged, a bounded number of times. */
  #tick(): void {
    const now = Date.now();
    const idleSince = now - this.#options.idleSeconds * 1000;
    for (const [ws, seen] of this.#seen) if (seen < idleSince) ws.terminate();
    for (const devices of this.#users.values()) {
      for (const device of devices.values()) {
        if (device.checkAt !== undefined && device.checkAt <= now && !device.checking)
          void this.#checkSession(device);
        void this.#saveCursor(device);
        for (const entry of device.inFlight.values()) {
          if (entry.tries >= this.#options.maxResends || now - entry.sentAt < this.#options.resendMs)
            continue;
          entry.tries += 1;
          entry.sentAt = now;
          this.stats.resent += 1;
          this.#sendText(device.ws, entry.frame);
        }
      }
    }
  }

  /** A session-bound login past its session's expiry: still a live session (the verifier says), or closed. */
  async #checkSession(device: ImDevice): Promise<void> {
    device.checking = true;
    let verdict: LoginVerdict;
    try {
      verdict = await this.#verify(device.login);
    } catch (err) {
      this.#logger?.warn({ err }, 'IM session check failed');
      verdict = { ok: false, code: imHutongCodes.verifyUnavailable };
    } finally {
      device.checking = false;
    }
    if (this.#byWs.get(device.ws) !== device) return; // gone meanwhile
    const now = Date.now();
    if (verdict.ok)
      device.checkAt = verdict.expiresAt === undefined ? undefined : Math.max(verdict.expiresAt, now + 1000);
    else if (verdict.code === imHutongCodes.verifyUnavailable) device.checkAt = now + SESSION_RETRY_MS;
    else this.#end(device, imCloseCodes.sessionExpired, 'session expired');
  }

  #send(ws: WebSocket, frame: Protocal): void {
    if (frame.type === imTypes.error && this.#onError) {
      const { errorCode, errorMsg } = JSON.parse(frame.dataContent ?? '{}') as {
        errorCode: number;
        errorMsg: string;
      };
      this.#onError(errorCode, errorMsg);
    }
    this.#sendText(ws, encodeProtocal(frame));
  }

  #sendText(ws: WebSocket, text: string): void {
    this.#budget.send(ws, text);
  }
}

export type { InboxEntry };
