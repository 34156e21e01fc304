import type { BrowserContext } from 'playwright-core';
import { API_KEY, startTestServer, type TestServer } from '../helpers/test-server';
import { BROWSER_TIMEOUT, describeBrowser } from './helpers/chromium';
import { pageUntil, useBrowser } from './helpers/browser-fixture';

// Playwright's `context.setOffline` (CDP network emulation) flips `navigator.onLine`
// and fires `offline`/`online`, but leaves an open WebSocket alone. So the server
// drops the link while the browser is "offline"; the client then waits out its
// backoff unless the `online` event tells it to try at once.
describeBrowser('browser: offline/online events', () => {
  const fixture = useBrowser();
  let context: BrowserContext;
  const servers: TestServer[] = [];

  beforeEach(async () => {
    context = await fixture.browser.newContext();
  });
  afterEach(async () => {
    await context.close();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it(
    'reconnects as soon as the browser is back online instead of waiting out a 20 s backoff',
    async () => {
      const first = await startTestServer();
      const page = await context.newPage();
      await page.goto(fixture.page.url);
      await page.evaluate(
        async ({ url, apiKey }) => {
          const h = window.harness;
          const i = h.create(url, {
            apiKey,
            enablePersistence: false,
            reconnectInterval: 20_000,
            maxReconnectAttempts: 10,
            backoff: { jitter: 'none' },
          });
          await h.clients[i]!.connect();
        },
        { url: first.url, apiKey: API_KEY },
      );

      await context.setOffline(true);
      expect(await page.evaluate(() => navigator.onLine)).toBe(false);
      // The link drops; the server comes back at once on the same port, but the client's next try is 20 s away.
      await first.close();
      const second = await startTestServer({ port: first.port });
      servers.push(second);
      await pageUntil(
        page,
        () => window.harness.clients[0]!.state === 'reconnecting',
        null,
        5000,
        'state reconnecting',
      );
      const reconnecting = await page.evaluate(
        () => window.harness.events.find((e) => e.type === 'reconnecting')!.detail,
      );
      expect(reconnecting).toMatchObject({ attempt: 1, delay: 20_000 });

      const backOnline = Date.now();
      await context.setOffline(false);
      await pageUntil(
        page,
        () => window.harness.clients[0]!.state === 'connected',
        null,
        5000,
        'state connected',
      );
      expect(Date.now() - backOnline).toBeLessThan(5000);
      expect(await page.evaluate(() => window.harness.count('open'))).toBe(2);
      expect(second.server.stats().sessions).toBe(1);
    },
    BROWSER_TIMEOUT,
  );

  it(
    'ignores `online` while connected (no second connection)',
    async () => {
      const srv = await startTestServer();
      servers.push(srv);
      const page = await context.newPage();
      await page.goto(fixture.page.url);
      await page.evaluate(
        async ({ url, apiKey }) => {
          const h = window.harness;
          await h.clients[h.create(url, { apiKey, enablePersistence: false })]!.connect();
        },
        { url: srv.url, apiKey: API_KEY },
      );
      await context.setOffline(true);
      await context.setOffline(false);
      // The client reacts to `online` synchronously, so the state right after dispatching tells.
      const after = await page.evaluate(() => {
        window.dispatchEvent(new Event('online'));
        return [
          window.harness.clients[0]!.state,
          window.harness.count('open'),
          window.harness.count('close'),
        ];
      });
      expect(after).toEqual(['connected', 1, 0]);
      expect(srv.server.stats().connections).toBe(1);
    },
    BROWSER_TIMEOUT,
  );
});
