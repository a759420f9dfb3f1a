/** Login and phone codes are single-use and live 5 minutes (research A1, A4). */
export const CODE_TTL_MS = 300_000;

export interface CodeEntry {
  appid: string;
  openid: string;
  issuedAt: number;
  used: boolean;
}

export type Redeemed<T> = { status: 'ok'; entry: T } | { status: 'unknown' | 'used' | 'expired'; entry?: T };

/**
 * One-time codes of one kind. A code is valid for CODE_TTL_MS and once; it is remembered for
 * `memoryMs` (≥ the TTL) so that a late use reads as "used"/"expired" and not "unknown".
 */
export class CodeBook<T extends CodeEntry> {
  readonly #now: () => number;
  readonly #newCode: () => string;
  readonly #memoryMs: number;
  readonly #entries = new Map<string, T>();

  constructor(now: () => number, newCode: () => string, memoryMs = CODE_TTL_MS) {
    this.#now = now;
    this.#newCode = newCode;
    this.#memoryMs = Math.max(memoryMs, CODE_TTL_MS);
  }

  issue(data: Omit<T, 'issuedAt' | 'used'>): string {
    const now = this.#now();
    for (const [code, entry] of this.#entries) {
      if (entry.issuedAt + this.#memoryMs < now) this.#entries.delete(code);
    }
    const code = this.#newCode();
    this.#entries.set(code, { ...data, issuedAt: now, used: false } as T);
    return code;
  }

  /** The entry whatever its state (used or expired ones included, until forgotten). */
  peek(code: string): T | undefined {
    return this.#entries.get(code);
  }

  /** Where the code stands; callers check what they must, then `use` it. */
  status(code: string): Redeemed<T> {
    const entry = this.#entries.get(code);
    if (!entry) return { status: 'unknown' };
    if (entry.used) return { status: 'used', entry };
    if (this.#now() - entry.issuedAt >= CODE_TTL_MS) return { status: 'expired', entry };
    return { status: 'ok', entry };
  }

  use(entry: T): void {
    entry.used = true;
  }
}
