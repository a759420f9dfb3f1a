#!/usr/bin/env node
/**
 * Publishes the Hutong packages to npm (`npm run release`).
 *
 *   node scripts/release.mjs              a dry run (the default)
 *   node scripts/release.mjs --dry-run    the same, said explicitly
 *   node scripts/release.mjs --publish    publishes for real
 *
 * First it checks that every published package (packages/{protocol,core,node-sdk,server,
 * wechat-sim,client}) has the root package.json's version, and that the `@hutong/*` packages they
 * depend on name that version too. Then, from the repository root, it runs
 * `npm publish --dry-run --access public -w @hutong/<name>` (with `--publish`: without
 * `--dry-run`) for each package in dependency order: protocol, core, wechat-sim, server, node-sdk,
 * client. Each publish runs the package's `prepack`, which builds it. It stops at the first
 * failure, naming the package and the packages left unpublished; exit code 1. No dependencies.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Published packages, in the order they must reach the registry (dependencies first). */
const order = ['protocol', 'core', 'wechat-sim', 'server', 'node-sdk', 'client'];

const usage = 'usage: node scripts/release.mjs [--dry-run | --publish]';

function fail(message) {
  process.stderr.write(`release: ${message}\n`);
  process.exit(1);
}

function readManifest(dir) {
  const file = join(root, dir, 'package.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return fail(`cannot read ${join(dir, 'package.json')}: ${error.message}`);
  }
}

function parseArgs(args) {
  for (const arg of args) {
    if (arg !== '--dry-run' && arg !== '--publish') fail(`unknown argument ${arg}\n${usage}`);
  }
  if (args.includes('--dry-run') && args.includes('--publish')) {
    fail(`--dry-run and --publish exclude each other\n${usage}`);
  }
  return { publish: args.includes('--publish') };
}

/** Problems with the versions: each package's own, and its `@hutong/*` dependencies'. */
function versionProblems(version) {
  const problems = [];
  for (const name of order) {
    const dir = `packages/${name}`;
    const manifest = readManifest(dir);
    if (manifest.name !== `@hutong/${name}`) {
      problems.push(`${dir}/package.json is named ${manifest.name}, expected @hutong/${name}`);
    }
    if (manifest.version !== version) {
      problems.push(`${manifest.name} is at ${manifest.version}, the root package.json at ${version}`);
    }
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        if (dep.startsWith('@hutong/') && range !== version) {
          problems.push(`${manifest.name} lists ${dep}@${range} in ${field}, expected ${version}`);
        }
      }
    }
  }
  return problems;
}

function publish(name, { dryRun }) {
  const args = ['publish', ...(dryRun ? ['--dry-run'] : []), '--access', 'public', '-w', `@hutong/${name}`];
  process.stdout.write(`\n== npm ${args.join(' ')}\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.error) return `could not run npm: ${result.error.message}`;
  if (result.status !== 0) {
    return `npm ${args.join(' ')} exited with ${result.status ?? `signal ${result.signal}`}`;
  }
  return undefined;
}

const { publish: forReal } = parseArgs(process.argv.slice(2));
const { version } = readManifest('.');
if (typeof version !== 'string' || version === '') fail('the root package.json has no version');

const problems = versionProblems(version);
if (problems.length > 0) {
  fail(`versions disagree; nothing was published:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}
process.stdout.write(
  `release: ${order.length} packages at ${version}, ${forReal ? 'PUBLISHING to npm' : 'dry run'}\n`,
);

for (const [index, name] of order.entries()) {
  const error = publish(name, { dryRun: !forReal });
  if (error) {
    const done = order.slice(0, index).map((n) => `@hutong/${n}`);
    const left = order.slice(index + 1).map((n) => `@hutong/${n}`);
    fail(
      `@hutong/${name} failed: ${error}\n` +
        `  ${forReal ? 'published' : 'checked'} before it: ${done.join(', ') || 'none'}\n` +
        `  not attempted: ${left.join(', ') || 'none'}`,
    );
  }
}

process.stdout.write(
  forReal
    ? `\nrelease: published ${order.length} packages at ${version}\n`
    : `\nrelease: dry run passed for ${order.length} packages at ${version}; publish with --publish\n`,
);
