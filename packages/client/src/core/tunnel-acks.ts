import { clientErrorTypes, TunnelError } from './errors.js';
import type { Platform } from './platform.js';

/**
 * Emits waiting for the server's `ack:<id>` / `nack:<id>:<code>` (Hutong's extension): each has an
 * id and a deadline; the answer, the deadline or the tunnel's close settles it, once.
 */
export class PendingAcks {
  #next = 1;
  readonly #pending = new Map<
    number,
    { resolve: () => void; reject: (error: Error) => void; timer: unknown }
  >();

  constructor(private readonly platform: Platform) {}

  /** A new id and the promise of its answer; ERR_ACK_TIMEOUT after `timeoutMs`. */
  add(timeoutMs: number): { id: number; settled: Promise<void> } {
    const id = this.#next++;
    const settled = new Promise<void>((resolve, reject) => {
      const timer = this.platform.setTimeout(() => {
        this.#pending.delete(id);
        reject(new TunnelError(clientErrorTypes.ackTimeout, `no acknowledgement within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
    });
    return { id, settled };
  }

  /** The server's answer for `id`: resolved, or refused with its error code. False for an unknown id. */
  settle(id: number, errorCode?: string): boolean {
    const pending = this.#pending.get(id);
    if (!pending) return false;
    this.#pending.delete(id);
    this.platform.clearTimeout(pending.timer);
    if (errorCode === undefined) pending.resolve();
    else {
      pending.reject(
        new TunnelError(
          clientErrorTypes.ackRefused,
          `the server refused the message (${errorCode})`,
          errorCode,
        ),
      );
    }
    return true;
  }

  /** Drops `id` unanswered and unsettled (its frame was never sent; the caller reports why). */
  forget(id: number): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    this.platform.clearTimeout(pending.timer);
  }

  /** Rejects every pending one (the tunnel closed). */
  rejectAll(error: Error): void {
    for (const [id, pending] of this.#pending) {
      this.platform.clearTimeout(pending.timer);
      pending.reject(error);
      this.#pending.delete(id);
    }
  }
}
