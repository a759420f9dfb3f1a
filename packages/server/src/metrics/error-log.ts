/**
 * Errors this node answered with, by code: counts for `/metrics` and the latest few, with when and
 * where, for the dashboard. Codes are Hutong's (`ERR_*`) and MobileIMSDK's (`im:<n>`). Messages
 * are the ones the client was sent, so nothing secret is kept.
 */
import type { RecordedError } from './stats-view.js';

export class ErrorLog {
  readonly counts = new Map<string, number>();
  readonly #recent: RecordedError[] = [];
  readonly #keep: number;

  constructor(keep = 50) {
    this.#keep = keep;
  }

  record(code: string, source: string, message = ''): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
    this.#recent.push({ at: Date.now(), code, source, message: message.slice(0, 200) });
    if (this.#recent.length > this.#keep) this.#recent.shift();
  }

  /** The latest errors, newest first. */
  recent(): RecordedError[] {
    return [...this.#recent].reverse();
  }
}
