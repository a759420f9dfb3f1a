/** Headless Chromium from Debian for the browser suites, through playwright-core. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const root = new URL('../../../', import.meta.url).pathname;

/** Where a suite's screenshots go: `test-results/<suite>/`. */
export const screenshotDir = (suite: string): string => join(root, 'test-results', suite);

/** Outside CI a missing Chromium skips, loudly; in CI it fails (as testing/services.ts). */
export function chromiumMissing(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI === 'true') throw new Error(`Chromium is required in CI but ${CHROMIUM} is missing`);
  const reason = `Chromium not found at ${CHROMIUM} (apt-get install chromium)`;
  process.stderr.write(`\n!!! SKIPPING BROWSER SUITE: ${reason} (set CI=true to make this fail)\n\n`);
  return reason;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // No background traffic: this machine's closed network refuses it, noisily.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A new page in its own context (its own storage: its own simulated user), errors on stderr. */
export async function userPage(
  browser: Browser,
  name: string,
  options: Parameters<Browser['newContext']>[0] = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  watchPage(page, name);
  return { context, page };
}

/** Page errors and console errors of `page`, on stderr, named. */
export function watchPage(page: Page, name: string): void {
  page.on('pageerror', (error) => process.stderr.write(`page ${name}: ${error.stack ?? error}\n`));
  page.on('console', (message) => {
    if (message.type() === 'error') process.stderr.write(`page ${name} console: ${message.text()}\n`);
  });
}
