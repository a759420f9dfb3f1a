import { ConfigError, handleSignals, StartupError } from '@hutong/server';
import { startDevStack } from './stack.js';

try {
  const stack = await startDevStack();
  const { logger } = stack.hutong;
  logger.info(
    { url: stack.url, appid: stack.hutong.config.apps[0]?.appid, store: stack.hutong.config.store.kind },
    `Hutong dev stack ready at ${stack.url} (WeChat simulator at ${stack.url}/__wx)`,
  );
  handleSignals({
    logger,
    reloadTls: () => stack.hutong.reloadTls(),
    drain: async () => {
      await stack.hutong.drain();
      await stack.demos.close();
    },
  });
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Configuration error: ${error.message}`);
    process.exit(2);
  }
  if (error instanceof StartupError) {
    console.error(`Start-up failed: ${error.message}`);
    process.exit(3);
  }
  throw error;
}
