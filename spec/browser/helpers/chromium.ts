import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, LaunchOptions } from 'playwright-core';

/** Debian's Chromium; `.ci/run` installs it. No browser download is possible here. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export const hasChromium = existsSync(CHROMIUM_PATH);

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

/** Each browser spec's test budget: generous, bounded. */
export const BROWSER_TIMEOUT = 60_000;

/**
 * `describe` when Chromium is installed; otherwise `describe.skip`, saying so
 * plainly, so `npm test` on a machine without it passes and tells why.
 */
export function describeBrowser(name: string, body: () => void): void {
  if (hasChromium) {
    describe(name, body);
    return;
  }
  console.warn(
    `[browser specs] SKIPPED "${name}": no Chromium at ${CHROMIUM_PATH}. ` +
      'Install it (apt-get install -y chromium) or set CHROMIUM_PATH; CI always runs these.',
  );
  describe.skip(name, body);
}

const launchOptions = (): LaunchOptions => ({ executablePath: CHROMIUM_PATH, args: ARGS, timeout: 30_000 });

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch(launchOptions());
}

/** A browser with an on-disk profile: IndexedDB survives closing every page, even the browser. */
export async function launchPersistent(userDataDir: string): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(userDataDir, launchOptions());
}
