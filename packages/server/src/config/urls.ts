/**
 * URL settings checked by what reads them: the public URL and webhooks are http(s) with a host,
 * Redis URLs `redis:`/`rediss:`, SQL store URLs their driver's schemes, SQLite a file path. A
 * value without a scheme (`localhost:6379`) or with a misspelt one (`postgress://`) is an error
 * with a suggestion, never a silent default. Messages show URLs with their credentials redacted.
 */
import { didYouMean } from './did-you-mean.js';
import type { EnvReader } from './env-reader.js';
import { redactUrl } from './redact.js';

/** The schemes each kind of URL accepts, without the colon; the first is the one suggested. */
export const urlSchemes = {
  http: ['https', 'http'],
  redis: ['redis', 'rediss'],
  postgres: ['postgres', 'postgresql'],
  mysql: ['mysql', 'mariadb'],
} as const;

export type UrlKind = keyof typeof urlSchemes;

const SCHEME = /^([a-z][a-z0-9+.-]*):(\/\/)?/i;

/**
 * `value` when it is a URL of `kind` (a host required for http and redis), else undefined with an
 * error recorded under `key`.
 */
export function checkUrl(r: EnvReader, key: string, value: string, kind: UrlKind): string | undefined {
  const schemes: readonly string[] = urlSchemes[kind];
  const shown = redactUrl(value);
  const expected = `expected a ${schemes.map((s) => `${s}://`).join(' or ')} URL, got "${shown}"`;
  const found = SCHEME.exec(value);
  const scheme = found?.[1]?.toLowerCase();
  if (scheme === undefined || !schemes.includes(scheme)) {
    const hint = scheme ? didYouMean(scheme, schemes).replace(/"\?\)$/, '://…"?)') : '';
    const noScheme = hint ? '' : ` (no scheme: did you mean "${schemes[0]}://${shown}"?)`;
    return r.fail(key, `${expected}${hint}${noScheme}`);
  }
  if (!found?.[2]) return r.fail(key, `${expected} (expected "${scheme}://" before the host)`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return r.fail(key, expected);
  }
  const needsHost = kind === 'http' || kind === 'redis';
  if (needsHost && !url.hostname) return r.fail(key, `${expected} (no host)`);
  return value;
}

/** A SQLite file: a path or `:memory:`, not a URL of another database. */
export function checkSqlitePath(
  r: EnvReader,
  key: string,
  value: string,
  kindKey: string,
): string | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1];
  if (scheme === undefined) return value;
  return r.fail(
    key,
    `expected a file path for SQLite, got a ${scheme}:// URL "${redactUrl(value)}" (set ${kindKey} to the database's kind)`,
  );
}
