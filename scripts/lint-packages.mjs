#!/usr/bin/env node
/**
 * Package checks a maintainer runs before publishing (part of `npm run lint`; the packages must be
 * built): publint (the package.json against the files it ships) and arethetypeswrong (the
 * `.d.ts` each `exports` entry resolves to under node10, node16 CJS and ESM, and bundlers).
 * protocol, core, node-sdk and client are checked for both module systems (node16 CJS and ESM,
 * bundlers; subpaths need `exports`, so TypeScript's old `node10` resolution is not a target); server and
 * wechat-sim ship ESM only.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const publint = join(root, 'node_modules/publint/src/cli.js');
const attw = join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js');

/** attw profile per package, and entry points it skips: core's test kit is ESM only, by design. */
const packages = {
  protocol: 'node16',
  core: ['node16', './testing'],
  'node-sdk': 'node16',
  client: 'node16',
  server: 'esm-only',
  'wechat-sim': 'esm-only',
};

let failed = 0;
for (const [name, spec] of Object.entries(packages)) {
  const [profile, ...esmOnly] = [spec].flat();
  const dir = `packages/${name}`;
  const skip = esmOnly.length > 0 ? ['--exclude-entrypoints', ...esmOnly] : [];
  for (const [tool, args] of [
    ['publint', [publint, dir, '--strict']],
    ['attw', [attw, '--pack', dir, '--profile', profile, ...skip, '--format', 'ascii']],
  ]) {
    const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    const output = `${result.stdout}${result.stderr}`.trim();
    if (result.status !== 0) {
      failed += 1;
      process.stdout.write(`✗ ${tool} @hutong/${name}\n${output}\n\n`);
    } else {
      process.stdout.write(`✓ ${tool} @hutong/${name}\n`);
    }
  }
}
if (failed > 0) {
  process.stderr.write(`${failed} package check(s) failed\n`);
  process.exit(1);
}
