import { ConfigError } from '@hutong/server';
import { devApp, startDevStack } from './stack.js';

try {
  const stack = await startDevStack();
  const { logger } = stack.hutong;
  logger.info(
    { url: stack.url, appid: devApp.appid, store: stack.hutong.config.store.kind },
    `Hutong dev stack ready at ${stack.url} (WeChat simulator at ${stack.url}/__wx)`,
  );
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    stack.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
