/**
 * Secrets a production node must not start with: the development stack's published ones (anyone
 * who has read this repository knows them), and keys too short or too repetitive to resist
 * guessing. `hutong start` and `hutong config check` refuse them (exit 2); the development stack,
 * which uses the published ones on purpose, does not run these checks.
 */
import { randomBytes } from 'node:crypto';
import type { AppCredentials } from '@hutong/core';
import { ConfigError, type HutongConfig } from './config.js';

/** The development app, known to the embedded simulator. Never use these outside development. */
export const devApp: AppCredentials = {
  appid: 'wx7e57d3a0f1c2b4d8',
  secret: 'hutong-dev-secret-do-not-deploy',
};
export const devTunnelSignatureKey = 'hutong-dev-tunnel-signature-key';

/** Every secret published in this repository: the dev stack's and the simulator's default app. */
const published = new Set([devApp.secret, devTunnelSignatureKey, '0123456789abcdef0123456789abcdef']);

export const secretRules = {
  /** Shortest tunnel signature key (it signs every tunnel API call and webhook). */
  tunnelKeyMinLength: 32,
  /** Shortest admin token (already enforced by the configuration loader). */
  adminTokenMinLength: 16,
  /** Least estimated entropy of a key or token, bits. */
  minBits: 64,
} as const;

/**
 * An estimate of a secret's entropy in bits: its length times the Shannon entropy of its
 * characters. A random key from a rich alphabet scores high; `aaaaaaaaaaaaaaaa` scores 0 and
 * `abababab…` 1 bit a character.
 */
export function entropyBits(secret: string): number {
  const counts = new Map<string, number>();
  for (const char of secret) counts.set(char, (counts.get(char) ?? 0) + 1);
  const length = [...secret].length;
  let perChar = 0;
  for (const count of counts.values()) perChar -= (count / length) * Math.log2(count / length);
  return perChar * length;
}

/** What is wrong with each unsafe secret of `config`, keyed by its setting; empty when all are fine. */
export function unsafeSecrets(config: HutongConfig): { key: string; problem: string }[] {
  const problems: { key: string; problem: string }[] = [];
  const key = config.tunnelSignatureKey;
  if (published.has(key)) {
    problems.push({
      key: 'HUTONG_TUNNEL_SIGNATURE_KEY',
      problem: 'is the development key published in Hutong',
    });
  } else if (key.length < secretRules.tunnelKeyMinLength) {
    problems.push({
      key: 'HUTONG_TUNNEL_SIGNATURE_KEY',
      problem: `is ${key.length} characters; use at least ${secretRules.tunnelKeyMinLength}`,
    });
  } else if (entropyBits(key) < secretRules.minBits) {
    problems.push({ key: 'HUTONG_TUNNEL_SIGNATURE_KEY', problem: 'is too repetitive to be a random key' });
  }
  for (const app of config.apps) {
    if (published.has(app.secret)) {
      problems.push({
        key: config.apps.length > 1 ? 'HUTONG_APPS' : 'HUTONG_APP_SECRET',
        problem: `the secret of ${app.appid} is a development secret published in Hutong`,
      });
    }
  }
  const token = config.adminToken;
  if (token !== undefined && (published.has(token) || entropyBits(token) < secretRules.minBits)) {
    problems.push({
      key: 'HUTONG_ADMIN_TOKEN',
      problem: `has about ${Math.floor(entropyBits(token))} bits of entropy; use at least ${secretRules.minBits}`,
    });
  }
  return problems;
}

/** Throws a ConfigError naming the first unsafe secret's setting and listing every problem. */
export function assertSafeSecrets(config: HutongConfig): void {
  const problems = unsafeSecrets(config);
  const first = problems[0];
  if (!first) return;
  const rest = problems.slice(1).map((p) => `; ${p.key} ${p.problem}`);
  throw new ConfigError(
    first.key,
    `${first.problem}${rest.join('')} (\`hutong config secret\` prints a fresh random key)`,
  );
}

/** A fresh random secret for a key or token: 32 random bytes, base64url (43 characters, 256 bits). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}
