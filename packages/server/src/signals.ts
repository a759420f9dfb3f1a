import type { Hutong } from './hutong.js';

/** SIGTERM/SIGINT drain and exit; SIGHUP reloads the TLS certificate. */
export function handleSignals(hutong: Pick<Hutong, 'drain' | 'reloadTls' | 'logger'>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    hutong.logger.info({ signal }, 'shutting down');
    hutong.drain().then(
      () => process.exit(0),
      (err: unknown) => {
        hutong.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => hutong.reloadTls());
}
