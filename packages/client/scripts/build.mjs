#!/usr/bin/env node
/**
 * Builds @hutong/client for publishing (`npm run build -w @hutong/client`):
 *
 * - `dist/esm/`: ESM for bundlers and browsers, one file per `exports` entry plus shared chunks.
 * - `dist/cjs/`: CommonJS for `require` (Node scripts, Jest), one self-contained file per entry,
 *   with the declarations copied beside them and a `{"type": "commonjs"}` package.json.
 * - `miniprogram_dist/index.js`: one self-contained CommonJS file for WeChat's "构建 npm".
 * - `dist/types/`: declarations from `tsc -p tsconfig.build.json`.
 *
 * `@hutong/protocol/headers` is inlined from source (export condition `hutong-src`), so the
 * builds have no runtime dependency.
 */
import { spawn } from 'node:child_process';
import { cp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Entry points of `dist/esm`, named as the `exports` map of package.json expects them. */
const esmEntries = {
  index: 'src/index.ts',
  'core/index': 'src/core/index.ts',
  wx: 'src/wx.ts',
  browser: 'src/browser.ts',
  node: 'src/node.ts',
};

/** @type {import('esbuild').BuildOptions} */
const shared = {
  absWorkingDir: packageDir,
  bundle: true,
  platform: 'neutral',
  conditions: ['hutong-src'],
  legalComments: 'none',
  logLevel: 'warning',
};

/**
 * @param {{ outDir?: string, minify?: boolean, types?: boolean }} [options]
 *   `outDir`: where `dist/` and `miniprogram_dist/` go (default: the package). `minify`: default
 *   false (bundlers and WeChat DevTools minify on their own). `types`: emit `dist/types` (default true).
 * @returns {Promise<{ esmDir: string, cjsDir: string, miniprogramFile: string, typesDir: string | undefined }>}
 */
export async function buildClient({ outDir = packageDir, minify = false, types = true } = {}) {
  const esmDir = join(outDir, 'dist/esm');
  const cjsDir = join(outDir, 'dist/cjs');
  const miniprogramFile = join(outDir, 'miniprogram_dist/index.js');
  const typesDir = types ? join(outDir, 'dist/types') : undefined;
  await Promise.all([
    rm(esmDir, { recursive: true, force: true }),
    rm(cjsDir, { recursive: true, force: true }),
    rm(join(outDir, 'miniprogram_dist'), { recursive: true, force: true }),
    typesDir && rm(typesDir, { recursive: true, force: true }),
  ]);
  await Promise.all([
    build({
      ...shared,
      entryPoints: esmEntries,
      outdir: esmDir,
      chunkNames: 'chunks/[name]-[hash]',
      splitting: true,
      format: 'esm',
      target: 'es2019',
      sourcemap: true,
      minify,
    }),
    build({
      ...shared,
      entryPoints: esmEntries,
      outdir: cjsDir,
      format: 'cjs',
      target: 'es2019',
      sourcemap: true,
      minify,
    }),
    build({
      ...shared,
      entryPoints: ['src/miniprogram.ts'],
      outfile: miniprogramFile,
      format: 'cjs',
      target: 'es2017',
      minify,
      // `globalThis` is ES2020 and missing on older mini program engines; `wx` is always a global there.
      define: { 'globalThis.wx': 'wx' },
    }),
    typesDir && emitTypes(typesDir),
  ]);
  if (typesDir) await cp(typesDir, cjsDir, { recursive: true });
  await writeFile(join(cjsDir, 'package.json'), '{\n  "type": "commonjs"\n}\n');
  return { esmDir, cjsDir, miniprogramFile, typesDir };
}

/**
 * `tsc -p tsconfig.build.json --outDir <typesDir>`.
 * @param {string} typesDir
 * @returns {Promise<void>}
 */
function emitTypes(typesDir) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const child = spawn(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', typesDir], {
    cwd: packageDir,
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`tsc -p tsconfig.build.json exited with ${code}`)),
    );
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { esmDir, miniprogramFile, typesDir } = await buildClient({
    minify: process.argv.includes('--minify'),
  });
  console.log(`built ${esmDir}\n      ${miniprogramFile}\n      ${typesDir}`);
}
