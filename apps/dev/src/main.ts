import { ConfigError, handleSignals, StartupError } from '@hutong/server';
import { devBanner } from './banner.js';
import { PortTakenError } from './port-taken.js';
import { startDevStack } from './stack.js';

try {
  const stack = await startDevStack();
  const { logger } = stack.hutong;
  process.stdout.write(devBanner(stack));
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
  if (error instanceof StartupError || error instanceof PortTakenError) {
    console.error(`Start-up failed: ${error.message}`);
    process.exit(3);
  }
  throw error;
}
