#!/usr/bin/env node
/**
 * Builds the published packages (`npm run build`; `node scripts/build.mjs server` for one and what
 * it needs, as each package's `prepack` does):
 *
 * - `tsc -b` over each package's `tsconfig.build.json`: ESM and declarations in `dist/esm/`, in
 *   dependency order, incrementally.
 * - protocol, core and node-sdk also get `dist/cjs/` (business servers `require` them): each
 *   source file transpiled to CommonJS by esbuild, the declarations copied beside it, and a
 *   `package.json` of `{"type": "commonjs"}` so Node and TypeScript read both as CommonJS.
 * - the client: its own esbuild script (ESM bundle, `miniprogram_dist/`, types).
 * - the server: the dashboard page (Vite) into `dist/admin/`.
 *
 * Then the workspace's own `npx hutong` / `npx hutong-wechat-sim`: npm links a bin only when its
 * file exists, and on a fresh clone `npm install` runs before the first build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

/** Every published package, in dependency order, with what its build has beyond `tsc -b`. */
const packages = {
  protocol: { deps: [], cjs: true },
  core: { deps: ['protocol'], cjs: true },
  'wechat-sim': { deps: ['protocol'] },
  server: { deps: ['protocol', 'core'], admin: true },
  'node-sdk': { deps: ['protocol', 'core'], cjs: true },
  client: { deps: ['protocol'], esbuild: true },
};

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${[command, ...args].join(' ')} exited with ${result.status}`);
}

async function files(dir, suffix) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(suffix)) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

/** `dist/cjs/`: CommonJS beside copies of the ESM build's declarations. */
async function buildCjs(name) {
  const dir = join(root, 'packages', name);
  const out = join(dir, 'dist/cjs');
  await rm(out, { recursive: true, force: true });
  // The test kit (`src/testing/`) is ESM only: it runs under Node's test runner, never `require`d.
  const sources = (await files(join(dir, 'src'), '.ts')).filter(
    (file) => !file.endsWith('.d.ts') && !relative(dir, file).startsWith('src/testing/'),
  );
  await build({
    absWorkingDir: dir,
    entryPoints: sources.map((file) => relative(dir, file)),
    outbase: 'src',
    outdir: out,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    sourcesContent: true,
    logLevel: 'warning',
  });
  const esm = join(dir, 'dist/esm');
  for (const file of await files(esm, '.d.ts')) {
    if (relative(esm, file).startsWith('testing/')) continue;
    const target = join(out, relative(esm, file));
    await mkdir(join(target, '..'), { recursive: true });
    await cp(file, target);
  }
  await writeFile(join(out, 'package.json'), '{\n  "type": "commonjs"\n}\n');
}

async function buildPackage(name) {
  const spec = packages[name];
  if (spec.cjs) await buildCjs(name);
  if (spec.esbuild) {
    const { buildClient } = await import('../packages/client/scripts/build.mjs');
    await buildClient();
  }
  if (spec.admin) {
    const vite = await import('vite');
    await vite.build({ configFile: join(root, 'packages/server/admin/vite.config.ts'), logLevel: 'warn' });
  }
}

const wanted = process.argv.slice(2);
for (const name of wanted) if (!(name in packages)) throw new Error(`unknown package ${name}`);
const closure = new Set();
const add = (name) => {
  for (const dep of packages[name].deps) add(dep);
  closure.add(name);
};
for (const name of wanted.length > 0 ? wanted : Object.keys(packages)) add(name);
const names = Object.keys(packages).filter((name) => closure.has(name));

const projects = names
  .filter((name) => !packages[name].esbuild)
  .map((name) => `packages/${name}/tsconfig.build.json`);
if (projects.length > 0) run(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', ...projects]);
for (const name of names) if (wanted.length === 0 || wanted.includes(name)) await buildPackage(name);

/** Links the built packages' bins into `node_modules/.bin` where `npm install` could not yet. */
function linkBins() {
  const unlinked = [];
  for (const name of names) {
    const { name: spec, bin = {} } = JSON.parse(
      readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'),
    );
    if (Object.keys(bin).some((command) => !existsSync(join(root, 'node_modules/.bin', command))))
      unlinked.push(spec);
  }
  if (unlinked.length > 0 && existsSync(join(root, 'node_modules')))
    run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['rebuild', '--ignore-scripts', ...unlinked]);
}
linkBins();
