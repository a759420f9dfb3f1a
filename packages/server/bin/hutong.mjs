#!/usr/bin/env node
// `hutong …`: runs the CLI (src/cli.ts) from its TypeScript source, as the packages run unbuilt
// (through tsx). Signals reach the server: SIGTERM/SIGINT drain it, SIGHUP reloads TLS.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const child = spawn(
  process.execPath,
  ['--conditions=hutong-src', '--import', 'tsx', cli, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
