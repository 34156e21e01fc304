import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium';
import { startTestPage, type TestPage } from './test-page';

export interface BrowserFixture {
  browser: Browser;
  page: TestPage;
}

/**
 * One Chromium and one test-page server per spec file (beforeAll/afterAll).
 * Read `fixture.browser` / `fixture.page` inside tests, not at definition time.
 */
export function useBrowser(): BrowserFixture {
  const fixture = {} as BrowserFixture;
  beforeAll(async () => {
    fixture.page = await startTestPage();
    fixture.browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await fixture.browser?.close();
    await fixture.page?.close();
  });
  return fixture;
}

/** Waits in the page for `predicate(arg)` to hold, polling every 20 ms, failing after `ms`. */
export async function pageUntil<A>(
  page: Page,
  predicate: (arg: A) => boolean,
  arg: A,
  ms: number,
  what: string,
): Promise<void> {
  try {
    await page.waitForFunction(predicate as (arg: unknown) => boolean, arg, { polling: 20, timeout: ms });
  } catch (error) {
    throw new Error(`Timed out after ${ms} ms waiting in the page for ${what}.`, { cause: error });
  }
}

/** Polls an async condition (e.g. one that asks several pages) every 20 ms, failing after `ms`. */
export async function eventually(condition: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the page's first client reports `connected` (a follower tab mirrors its leader). */
export function untilConnected(page: Page, what: string, ms = 10_000): Promise<void> {
  return pageUntil(page, () => window.harness.clients[0]!.state === 'connected', null, ms, what);
}
