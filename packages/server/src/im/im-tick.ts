import { imCloseCodes, imHutongCodes } from '@hutong/protocol/im';
import type { Logger } from 'pino';
import type { InboxDelivery } from './im-delivery.js';
import type { ImDevice } from './im-device.js';
import type { ImHubOptions, LoginVerdict, ResolvedOptions } from './im-options.js';
import type { ImOutput } from './im-output.js';
import type { DeviceRegistry } from './im-registry.js';
import type { ImStats } from './im-stats.js';

/** A session check that could not be answered (store down) is tried again this much later. */
const SESSION_RETRY_MS = 10_000;

/**
 * The hub's periodic work, once per tick (at most a second, half the resend time): resends of what
 * devices have not acknowledged (each device's own resend time, im-device.ts, a bounded number of
 * times), cursor saves, and the checks of session-bound logins whose session reached its expiry.
 */
export class ImTicker {
  constructor(
    private readonly deps: {
      verify: ImHubOptions['verifyLogin'];
      registry: DeviceRegistry;
      delivery: InboxDelivery;
      output: ImOutput;
      stats: ImStats;
      options: ResolvedOptions;
      logger: Logger | undefined;
    },
  ) {}

  tick(now = Date.now()): void {
    const { registry, delivery, output, stats, options } = this.deps;
    for (const device of registry.all()) {
      if (device.checkAt !== undefined && device.checkAt <= now && !device.checking)
        void this.#checkSession(device);
      void delivery.saveCursor(device);
      for (const entry of device.inFlight.values()) {
        if (entry.tries >= options.maxResends) continue;
        if (now - entry.sentAt < device.resendAfter(entry.tries, options.resendMs, options.maxResendMs))
          continue;
        entry.tries += 1;
        entry.sentAt = now;
        stats.resent += 1;
        output.text(device.ws, entry.frame);
      }
    }
  }

  /** A session-bound login past its session's expiry: still a live session (the verifier says), or closed. */
  async #checkSession(device: ImDevice): Promise<void> {
    const { registry } = this.deps;
    device.checking = true;
    let verdict: LoginVerdict;
    try {
      verdict = await this.deps.verify(device.login);
    } catch (err) {
      this.deps.logger?.warn({ err }, 'IM session check failed');
      verdict = { ok: false, code: imHutongCodes.verifyUnavailable };
    } finally {
      device.checking = false;
    }
    if (!registry.current(device)) return; // gone meanwhile
    const now = Date.now();
    if (verdict.ok)
      device.checkAt = verdict.expiresAt === undefined ? undefined : Math.max(verdict.expiresAt, now + 1000);
    else if (verdict.code === imHutongCodes.verifyUnavailable) device.checkAt = now + SESSION_RETRY_MS;
    else registry.end(device, imCloseCodes.sessionExpired, 'session expired');
  }
}
