#!/usr/bin/env node
/**
 * `hutong`: the production server and its tools.
 *
 *   hutong start [--config FILE] [--workers N]
 *                                         run the server (SIGTERM drains, SIGHUP reloads TLS); N worker
 *                                         processes share the port and one in-box bus (workers.ts)
 *   hutong config check [--config FILE]   validate the configuration: every error and warning, each
 *                                         naming its file key and variable; then print it, secrets hidden
 *   hutong config print [--config FILE]   print the configuration in the file's shape, secrets hidden
 *   hutong config schema                  print the config file's JSON Schema
 *   hutong config secret                  print a fresh random key (tunnel key, admin token)
 *
 * The file defaults to `$HUTONG_CONFIG`, else `./hutong.config.json` when it exists. The
 * environment wins over the file. `start` and `config check` refuse published development secrets,
 * weak keys and malformed appids (config/production.ts); the development stack (`npm start`) does
 * not. `start` runs the same checks as `config check`, so it never fails on what the check passed. Exit codes: 0 fine, 2 configuration error, 3 a database or
 * Redis still unreachable after HUTONG_START_TIMEOUT_MS, 1 anything else.
 */
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { IpcBroker } from './brokers/ipc-broker.js';
import type { HutongConfig } from './config/config.js';
import { ConfigError, type ConfigWarning, throwIfAny } from './config/config-error.js';
import { checkConfigWithFile, configFileSchema, describeConfig } from './config/config-file.js';
import { productionProblems } from './config/production.js';
import { newSecret } from './config/secrets.js';
import { createHutong, createLogger } from './hutong.js';
import { handleSignals } from './signals.js';
import { StartupError } from './startup.js';
import { runWorkers, WORKER_NODE_ID } from './workers.js';

const usage = `usage: hutong start [--config FILE] [--workers N]
       hutong config check [--config FILE]
       hutong config print [--config FILE]
       hutong config schema
       hutong config secret`;

const required = `hutong start needs at least HUTONG_APPID and HUTONG_APP_SECRET (or HUTONG_APPS) and
HUTONG_TUNNEL_SIGNATURE_KEY, in the environment or a config file (--config FILE; \`hutong config schema\`
prints every key).`;

/** `--workers N`, else HUTONG_WORKERS (the configuration's `workers`). */
function workersOf(args: string[], configured: number): number {
  const at = args.indexOf('--workers');
  if (at < 0) return configured;
  const n = Number(args[at + 1]);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new ConfigError(
      '--workers',
      `expected a number of processes from 1 to 64, got "${args[at + 1] ?? ''}"`,
    );
  }
  return n;
}

function configFile(args: string[]): string | undefined {
  const at = args.indexOf('--config');
  if (at >= 0) {
    const file = args[at + 1];
    if (!file) throw new ConfigError('--config', 'expected a file name');
    return file;
  }
  if (process.env['HUTONG_CONFIG']) return process.env['HUTONG_CONFIG'];
  return existsSync('hutong.config.json') ? 'hutong.config.json' : undefined;
}

/**
 * The configuration a production command runs with, after every check: the loader's and the
 * production ones (secrets, appids), all reported together as one ConfigError or ConfigErrors.
 */
async function checkedConfig(
  file: string | undefined,
): Promise<{ config: HutongConfig; warnings: ConfigWarning[] }> {
  const report = await checkConfigWithFile(file);
  // Production checks too, on the settings that loaded: a failed one holds a fallback, not the user's value.
  const production = productionProblems(report.config)
    .filter((p) => !report.failed.has(p.key))
    .map((p) => report.name(p.key, p.detail));
  throwIfAny([...report.errors, ...production]);
  return report;
}

const warningLines = (warnings: ConfigWarning[]) =>
  warnings.map((w) => `warning: ${w.key}: ${w.detail}\n`).join('');

async function main(args: string[]): Promise<number> {
  const [command, sub] = args;
  if (command === 'config' && sub === 'schema') {
    process.stdout.write(`${JSON.stringify(configFileSchema, null, 2)}\n`);
    return 0;
  }
  if (command === 'config' && sub === 'secret') {
    process.stdout.write(`${newSecret()}\n`);
    return 0;
  }
  if (command === 'config' && (sub === 'check' || sub === 'print')) {
    const file = configFile(args);
    const { config, warnings } = await checkedConfig(file);
    process.stdout.write(`${JSON.stringify(describeConfig(config), null, 2)}\n`);
    if (sub === 'check') {
      const from = file ? ` (${file} and the environment)` : ' (the environment)';
      const noted =
        warnings.length > 0 ? `, ${warnings.length} warning${warnings.length > 1 ? 's' : ''}` : '';
      process.stderr.write(`${warningLines(warnings)}configuration ok${noted}${from}\n`);
    }
    return 0;
  }
  if (command === 'start') {
    const { config, warnings } = await checkedConfig(configFile(args));
    if (cluster.isPrimary) process.stderr.write(warningLines(warnings));
    const workers = workersOf(args, config.workers);
    if (workers > 1 && cluster.isPrimary) {
      const logger = createLogger(config.logLevel);
      await runWorkers({ count: workers, logger, ...(config.nodeId ? { nodeId: config.nodeId } : {}) });
      logger.info({ url: config.publicUrl, workers }, 'Hutong ready');
      return -1;
    }
    // A worker: its own node id; without Redis, the primary's bus over IPC.
    const nodeId = cluster.isWorker ? process.env[WORKER_NODE_ID] : undefined;
    if (nodeId) config.nodeId = nodeId;
    const broker = nodeId && config.broker.kind === 'local' ? new IpcBroker(undefined, nodeId) : undefined;
    const hutong = await createHutong(config, broker ? { broker } : {});
    if (cluster.isWorker) {
      // Messages to a primary that is gone fail as events: the disconnect below handles that.
      cluster.worker?.on('error', () => {});
      // The primary is gone (killed): this worker would hold the port alone and unmanaged.
      process.once('disconnect', () => {
        hutong.logger.warn('the primary process is gone: draining and exiting');
        hutong.drain().finally(() => process.exit(0));
      });
    }
    await hutong.listen();
    handleSignals(hutong);
    hutong.logger.info({ url: hutong.publicUrl, node: hutong.nodeStats.view().node }, 'Hutong ready');
    return -1; // keep running
  }
  process.stderr.write(`${usage}\n`);
  return 1;
}

try {
  const code = await main(process.argv.slice(2));
  if (code >= 0) process.exitCode = code;
} catch (error) {
  if (error instanceof ConfigError) {
    const lines = error.message.split('\n');
    process.stderr.write(
      lines.length === 1
        ? `Configuration error: ${error.message}\n${required}\n`
        : `Configuration errors (${lines.length}):\n${lines.map((line) => `  ${line}`).join('\n')}\n${required}\n`,
    );
    process.exitCode = 2;
  } else if (error instanceof StartupError) {
    process.stderr.write(`Start-up failed: ${error.message}\n`);
    process.exitCode = 3;
  } else {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  }
}
