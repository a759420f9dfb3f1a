/**
 * Reading settings from an environment while collecting every problem, so that one check reports
 * all of them: each reader records a ConfigError and returns its fallback instead of throwing.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigWarning } from './config-error.js';

export type Env = Record<string, string | undefined>;

export class EnvReader {
  readonly errors: ConfigError[] = [];
  readonly warnings: ConfigWarning[] = [];
  readonly #files = new Map<string, string | undefined>();

  constructor(readonly env: Env) {}

  /**
   * Records an error about `key`; returns undefined so callers can fall through. One error per
   * setting: a later one about the same setting (`HUTONG_X` or `HUTONG_X_FILE`) is a consequence
   * of the first (an unreadable secret file, then "required") and is dropped.
   */
  fail(key: string, detail: string): undefined {
    const base = key.replace(/_FILE$/, '');
    if (!this.errors.some((e) => e.key.replace(/_FILE$/, '') === base))
      this.errors.push(new ConfigError(key, detail));
    return undefined;
  }

  warn(key: string, detail: string): void {
    this.warnings.push({ key, detail });
  }

  /** `fn()`, or `fallback` with the ConfigError it threw recorded (other errors propagate). */
  attempt<T>(fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.fail(error.key, error.detail);
      return fallback;
    }
  }

  /**
   * A value from `KEY`, or from the file named by `KEY_FILE` (for secrets); undefined when unset
   * or empty. Both set at once is an error: which one was meant is not for Hutong to guess.
   */
  read(key: string): string | undefined {
    const fileKey = `${key}_FILE`;
    const file = this.env[fileKey];
    const value = this.env[key];
    if (file && value) {
      this.fail(key, `set either ${key} or ${fileKey}, not both`);
      return undefined;
    }
    if (file) {
      if (!this.#files.has(file)) {
        try {
          this.#files.set(file, readFileSync(file, 'utf8').trim());
        } catch {
          this.#files.set(file, undefined);
        }
      }
      const text = this.#files.get(file);
      if (text === undefined) this.fail(fileKey, `cannot read ${file}`);
      return text;
    }
    return value === undefined || value === '' ? undefined : value;
  }

  int(key: string, fallback: number, min = 0): number {
    const raw = this.read(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) {
      this.fail(key, `expected an integer ≥ ${min}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  bool(key: string, fallback: boolean): boolean {
    const raw = this.read(key);
    if (raw === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    this.fail(key, `expected true or false, got "${raw}"`);
    return fallback;
  }

  /** The non-empty entries of a comma-separated setting, trimmed; undefined when it is unset. */
  entries(key: string): string[] | undefined {
    const raw = this.read(key);
    if (raw === undefined) return undefined;
    return raw
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
  }
}
