/**
 * Checks for a production node (`hutong start`, `hutong config check`) that the development
 * stack and the tests do not run: safe secrets (`secrets.ts`) and real appids. The tests and the
 * WeChat simulator use short appids (`wx1`, `wxA`), so the appid shape is checked here and not by
 * `loadConfig`.
 */
import type { HutongConfig } from './config.js';
import { unsafeSecrets } from './secrets.js';

/** A WeChat mini program appid: `wx` and 16 lowercase hexadecimal digits. */
export const APPID_SHAPE = /^wx[0-9a-f]{16}$/;

/** Every production problem of `config`, keyed by its variable, each with its remedy. */
export function productionProblems(config: HutongConfig): { key: string; detail: string }[] {
  const problems = unsafeSecrets(config).map(({ key, problem }) => ({
    key,
    detail: `${problem} (\`hutong config secret\` prints a fresh random key)`,
  }));
  for (const { appid } of config.apps) {
    if (APPID_SHAPE.test(appid)) continue;
    problems.push({
      key: config.apps.length > 1 ? 'HUTONG_APPS' : 'HUTONG_APPID',
      detail: `"${appid}" is not a mini program appid: expected wx and 16 hexadecimal digits, as in the WeChat admin console (Development → Development settings)`,
    });
  }
  return problems;
}
