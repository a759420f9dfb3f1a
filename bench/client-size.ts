/**
 * `npm run bench:client`: what @hutong/client adds to a mini program. Bundles a small app entry
 * using session, request and Tunnel on `wx` (esbuild, minified, ESM, es2019) and the whole mini
 * program build (`miniprogram_dist/index.js`, as published and minified), and reports minified and
 * gzip bytes (level 9) against the target of ≤ 8 KB gzip. Writes the `## Client size` section of
 * bench/results.md, keeping the other sections.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, version } from 'esbuild';
import { buildClient } from '../packages/client/scripts/build.mjs';

const TARGET_GZIP = 8 * 1024;
const clientDir = new URL('../packages/client/', import.meta.url).pathname;

const sizes = (code: string | Uint8Array) => ({
  bytes: Buffer.byteLength(code),
  gzip: gzipSync(code, { level: 9 }).length,
});

const app = await build({
  stdin: {
    contents: `import { setLoginUrl, login, request, Tunnel } from './src/index.ts';
setLoginUrl('https://example.com/login');
login().then(() => request({ url: 'https://example.com/me' }));
new Tunnel('https://example.com/tunnel').open();`,
    resolveDir: clientDir,
    loader: 'ts',
  },
  bundle: true,
  write: false,
  minify: true,
  format: 'esm',
  target: 'es2019',
  platform: 'neutral',
  conditions: ['hutong-src'],
  legalComments: 'none',
});
const appSize = sizes(app.outputFiles[0]!.contents);

const outDir = await mkdtemp(join(tmpdir(), 'hutong-client-size-'));
const miniprogram = async (minify: boolean) => {
  const { miniprogramFile } = await buildClient({ outDir, minify, types: false });
  return sizes(await readFile(miniprogramFile));
};
const published = await miniprogram(false);
const minified = await miniprogram(true);
await rm(outDir, { recursive: true, force: true });

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const row = (name: string, s: { bytes: number; gzip: number }, target: boolean) =>
  `| ${name} | ${s.bytes} (${kb(s.bytes)}) | ${s.gzip} (${kb(s.gzip)}) | ${target ? (s.gzip <= TARGET_GZIP ? 'yes' : '**no**') : '–'} |`;

const section = `## Client size

What \`@hutong/client\` adds to a mini program, measured by \`bench/client-size.ts\` (esbuild, gzip
level 9). "App entry": \`setLoginUrl\`, \`login\`, \`request\` and \`Tunnel\` on \`wx\` imported from
\`@hutong/client\` and bundled minified (ESM, es2019), i.e. what an app that bundles its own code
ships. "Mini program build": \`miniprogram_dist/index.js\`, the whole API — IM client included — as
one CommonJS file (es2017, so private fields are lowered to WeakMaps), as published (unminified;
WeChat DevTools minifies on upload) and minified. Target: ≤ 8 KB gzip for session + request +
Tunnel (the app entry); the full build is reported, not held to it.

Date: ${new Date().toISOString().slice(0, 10)}, esbuild ${version}.
Command: \`npm run bench:client\` (also part of \`npm run bench\`).

| bundle | bytes | gzip bytes | ≤ 8 KB gzip |
|---|---|---|---|
${row('app entry (session + request + Tunnel on wx), minified', appSize, true)}
${row('mini program build (everything, IM included), minified', minified, false)}
${row('mini program build (everything, IM included), as published', published, false)}
`;

const resultsFile = new URL('./results.md', import.meta.url);
const current = await readFile(resultsFile, 'utf8').catch(() => '# Benchmark results\n');
const marker = '## Client size';
const start = current.indexOf(marker);
let next = start === -1 ? -1 : current.indexOf('\n## ', start + marker.length);
if (next !== -1) next += 1;
const updated =
  start === -1
    ? `${current.trimEnd()}\n\n${section}`
    : `${current.slice(0, start)}${section}${next === -1 ? '' : `\n${current.slice(next)}`}`;
await writeFile(resultsFile, updated);
console.log(section);
