#!/usr/bin/env node
/**
 * What the packages cost their users (`npm run bench:packages`): the consumer test's figures —
 * tarball sizes, install size and time of each consumer project (node-sdk alone, the server with
 * SQLite only, the client), node-sdk's import time with plain node — and `hutong start` to a 200
 * from `/healthz`, from the built JS (what `npx hutong start` runs) against the TypeScript sources
 * through tsx (what the repository ran before it had builds), interleaved, median of 5 rounds.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = 5;

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Milliseconds from spawning `args` to the first 200 from `/healthz`. */
async function startup(args) {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'hutong-bench-start-'));
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: 'ignore',
    env: {
      ...process.env,
      PORT: String(port),
      HUTONG_APPID: 'wx1234567890abcdef',
      HUTONG_APP_SECRET: 'bench-app-secret-0123456789abcdef',
      HUTONG_TUNNEL_SIGNATURE_KEY: 'bench-tunnel-key-0123456789abcdef',
      HUTONG_DATA_DIR: dataDir,
      HUTONG_LOG_LEVEL: 'warn',
    },
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited ${child.exitCode}`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return performance.now() - started;
      } catch {}
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const built = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) process.exit(1);
const variants = {
  'built JS (dist/esm/cli.js)': ['packages/server/dist/esm/cli.js', 'start'],
  'sources through tsx': [
    '--conditions=hutong-src',
    '--import',
    'tsx',
    'packages/server/src/cli.ts',
    'start',
  ],
};
const times = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round += 1) {
  for (const [name, args] of Object.entries(variants)) times[name].push(await startup(args));
}

const measuresFile = join(await mkdtemp(join(tmpdir(), 'hutong-bench-measures-')), 'measures.json');
const consumer = spawnSync(process.execPath, ['scripts/consumer-test.mjs'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, HUTONG_MEASURES: measuresFile },
});
if (consumer.status !== 0) {
  process.stderr.write('the consumer test failed: run npm run test:consumer\n');
  process.exit(1);
}
const measures = JSON.parse(await readFile(measuresFile, 'utf8'));

console.log('\n## Packages\n');
console.log(
  `\`npm run bench:packages\`, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}\n`,
);
console.log('| figure | value |\n|---|---|');
for (const line of measures) {
  const at = line.indexOf(': ');
  console.log(`| ${line.slice(0, at)} | ${line.slice(at + 2)} |`);
}
const [builtName, tsxName] = Object.keys(variants);
const b = median(times[builtName]);
const t = median(times[tsxName]);
console.log(`\n| \`hutong start\` → /healthz 200, median of ${ROUNDS} | ms |\n|---|---|`);
console.log(`| ${builtName} | ${b.toFixed(0)} |`);
console.log(`| ${tsxName} | ${t.toFixed(0)} |`);
console.log(`| ratio built / tsx | ${(b / t).toFixed(2)} |`);
