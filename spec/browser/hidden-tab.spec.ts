import type { BrowserContext } from 'playwright-core';
import { API_KEY, startTestServer, type TestServer } from '../helpers/test-server';
import { BROWSER_TIMEOUT, describeBrowser } from './helpers/chromium';
import { pageUntil, useBrowser } from './helpers/browser-fixture';

const FROZEN_MS = 4000;

// A frozen page (what Chromium does to background tabs to save power) runs no
// timer and no socket callback; it is the extreme of hidden-tab throttling. The
// heartbeat must judge by elapsed time, so a freeze longer than its whole
// detection budget ((maxMissed - 1) * interval + timeout = 1500 ms here) causes
// no false timeout when the server answers as soon as the page runs again.
//
// Headless Chromium keeps every page visible and ignores
// `Page.setWebLifecycleState` (checked with a witness timer). When the freeze
// does not take, the spec stalls the page's main thread for as long instead:
// to the page's timers and socket callbacks that is the same thing.
describeBrowser('browser: hidden (frozen) tab timers', () => {
  const fixture = useBrowser();
  let context: BrowserContext;
  let srv: TestServer;

  beforeEach(async () => {
    context = await fixture.browser.newContext();
    srv = await startTestServer({ heartbeatInterval: 0 });
  });
  afterEach(async () => {
    await context.close();
    await srv.close();
  });

  it(
    'a page frozen for 4 s with a 1.5 s heartbeat budget reports no heartbeatTimeout and keeps its connection',
    async () => {
      const page = await context.newPage();
      await page.goto(fixture.page.url);
      await page.evaluate(
        async ({ url, apiKey }) => {
          const h = window.harness;
          const client =
            h.clients[
              h.create(url, {
                apiKey,
                enablePersistence: false,
                heartbeatInterval: 1000,
                heartbeatTimeout: 500,
                heartbeatMaxMissed: 2,
              })
            ]!;
          await client.connect();
          // A witness timer: it shows whether timers ran during the freeze.
          (window as unknown as { ticks: number }).ticks = 0;
          setInterval(() => (window as unknown as { ticks: number }).ticks++, 50);
        },
        { url: srv.url, apiKey: API_KEY },
      );
      // The first ping (sent at the welcome) has been answered: nothing is outstanding.
      await pageUntil(
        page,
        () => window.harness.clients[0]!.getStats().latency !== undefined,
        null,
        5000,
        'a first pong',
      );

      const ticks = (): Promise<number> =>
        page.evaluate(() => (window as unknown as { ticks: number }).ticks);
      const cdp = await context.newCDPSession(page);
      let before = await ticks();
      await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
      const frozeAt = Date.now();
      // Probe: a frozen page does not tick within 300 ms (a live one ticks ~6 times).
      await new Promise((resolve) => setTimeout(resolve, 300));
      const frozen = (await ticks()) - before < 2;
      if (frozen) {
        await new Promise((resolve) => setTimeout(resolve, FROZEN_MS - (Date.now() - frozeAt)));
        await cdp.send('Page.setWebLifecycleState', { state: 'active' });
      } else {
        await cdp.send('Page.setWebLifecycleState', { state: 'active' });
        console.warn(
          '[browser specs] Chromium ignored Page.setWebLifecycleState(frozen) (headless); stalling the main thread instead.',
        );
        before = await ticks();
        await page.evaluate((ms) => {
          const end = performance.now() + ms;
          while (performance.now() < end) {
            // busy: no timer, no socket callback runs meanwhile
          }
        }, FROZEN_MS);
      }
      // Running, the witness would have ticked ~80 times; stopped, a catch-up tick or two.
      expect((await ticks()) - before).toBeLessThan(10);

      // Let three heartbeat intervals pass with the page running again, then prove the link works.
      const resumedAt = await page.evaluate(() => performance.now());
      await pageUntil(
        page,
        (t) => performance.now() > t + 3000,
        resumedAt,
        10_000,
        'three heartbeat intervals',
      );
      const result = await page.evaluate(() =>
        window.harness.clients[0]!.sendWithAcknowledgement({
          type: 'ECHO',
          payload: 'after the freeze',
        }).then((r) => r.acknowledged),
      );
      expect(result).toBe(true);
      expect(
        await page.evaluate(() => ({
          heartbeatTimeouts: window.harness.count('heartbeatTimeout'),
          closes: window.harness.count('close'),
          opens: window.harness.count('open'),
          state: window.harness.clients[0]!.state,
        })),
      ).toEqual({ heartbeatTimeouts: 0, closes: 0, opens: 1, state: 'connected' });
      expect(srv.server.stats().sessions).toBe(1);
    },
    BROWSER_TIMEOUT,
  );
});
