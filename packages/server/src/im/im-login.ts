import type { MessageStore } from '@hutong/core';
import {
  decodeContent,
  IM_UNSET,
  imErrorCodes,
  imHutongCodes,
  LoginInfo,
  type Protocal,
  serverFrames,
} from '@hutong/protocol/im';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import { arbitrate } from './im-arbitration.js';
import type { ImCluster } from './im-cluster.js';
import type { InboxDelivery } from './im-delivery.js';
import { ImDevice } from './im-device.js';
import { TokenBucket } from './im-limits.js';
import {
  deviceOf,
  type ImHubOptions,
  type LoginVerdict,
  type ResolvedOptions,
  validUserId,
} from './im-options.js';
import type { ImOutput } from './im-output.js';
import type { DeviceRegistry } from './im-registry.js';

/**
 * A login frame (type 0) on a connection: checked (payload, user id, the business side's verifier,
 * the device's cursor in the store), arbitrated against the user's devices here (im-arbitration.ts)
 * and, through a signal, on other nodes; then the device is registered and gets its inbox.
 */
export class LoginFlow {
  constructor(
    private readonly deps: {
      verify: ImHubOptions['verifyLogin'];
      store: MessageStore;
      registry: DeviceRegistry;
      delivery: InboxDelivery;
      cluster: ImCluster;
      output: ImOutput;
      options: ResolvedOptions;
      logger: Logger | undefined;
    },
  ) {}

  async login(ws: WebSocket, frame: Protocal): Promise<void> {
    const { verify, store, registry, delivery, cluster, output, options, logger } = this.deps;
    const refuse = (code: number, reason: string) => {
      output.send(ws, serverFrames.loginResponse(IM_UNSET, { code, firstLoginTime: -1 }));
      ws.close(1000, reason);
    };
    const info = decodeContent(LoginInfo, frame.dataContent);
    if (!info.ok) return refuse(imErrorCodes.invalidProtocal, 'bad login');
    const { loginUserId: userId, loginToken, extra } = info.value;
    if (!validUserId(userId)) return refuse(imErrorCodes.invalidProtocal, 'bad user id');
    const current = registry.of(ws);
    if (current) {
      // A second login on a logged-in connection: the same user is told yes again, another user no.
      if (current.userId === userId)
        output.send(
          ws,
          serverFrames.loginResponse(userId, { code: 0, firstLoginTime: current.firstLoginTime }),
        );
      else output.error(ws, imErrorCodes.invalidProtocal, 'already logged in as another user');
      return;
    }
    const login = { userId, token: loginToken ?? '', extra: extra ?? null };
    let verdict: LoginVerdict;
    try {
      verdict = await verify(login);
    } catch (err) {
      logger?.warn({ err }, 'IM login verification failed');
      verdict = { ok: false, code: imHutongCodes.verifyUnavailable };
    }
    if (ws.readyState !== WebSocket.OPEN) return;
    if (!verdict.ok) return refuse(verdict.code, 'login refused');
    const clientFirst = info.value.firstLoginTime ?? 0;
    const firstLoginTime = clientFirst > 0 ? clientFirst : Date.now();
    const deviceId = options.singleDevice ? 'default' : deviceOf(extra);
    let cursor: number;
    try {
      cursor = await store.cursor(userId, deviceId);
    } catch (err) {
      logger?.warn({ err }, 'IM login: store unavailable');
      return refuse(imHutongCodes.verifyUnavailable, 'store unavailable');
    }
    if (ws.readyState !== WebSocket.OPEN) return;
    // Decided after the last await, on what is connected now (another login may have run meanwhile).
    const decision = arbitrate(
      { device: deviceId, clientFirstLoginTime: clientFirst },
      registry.devicesOf(userId),
      options,
    );
    if (decision.kind === 'refuse') return refuse(imHutongCodes.tooManyDevices, 'too many devices');
    output.send(ws, serverFrames.loginResponse(userId, { code: 0, firstLoginTime }));
    if (decision.kind === 'stale') {
      registry.kick(ws, userId, 'a newer login replaced this device');
      return;
    }
    for (const rival of decision.drop) registry.drop(rival);
    for (const rival of decision.kick) registry.kick(rival.ws, userId, 'logged in elsewhere');
    const rate = options.maxMessagesPerSecond;
    const reads = options.maxReadsPerSecond;
    const device = new ImDevice(
      ws,
      login,
      deviceId,
      firstLoginTime,
      cursor,
      { messages: new TokenBucket(rate, 2 * rate), reads: new TokenBucket(reads, 2 * reads) },
      verdict.expiresAt,
    );
    registry.add(device);
    cluster.toOthers([userId], () => [
      { kind: 'login', userId, device: deviceId, firstLoginTime, clientFirstLoginTime: clientFirst },
    ]);
    await delivery.sync(device);
  }
}
