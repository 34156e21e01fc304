import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { ReliableClientOptions } from '../../src/index';
import { API_KEY, startTestServer, type TestServer } from '../helpers/test-server';
import { until } from '../helpers/wait';
import { BROWSER_TIMEOUT, describeBrowser, launchPersistent } from './helpers/chromium';
import { pageUntil, useBrowser } from './helpers/browser-fixture';
import { startTestPage } from './helpers/test-page';

const OPTIONS: ReliableClientOptions = {
  apiKey: API_KEY,
  storageKey: 'orders',
  reconnectInterval: 50,
  maxReconnectAttempts: 10_000,
  heartbeatInterval: 1000,
  heartbeatTimeout: 1000,
  messageTimeout: 2000,
  backoff: { maxInterval: 200, jitter: 'none' },
};

/** Creates client 0 in the page and calls connect() without awaiting it (the server may be down). */
async function openClient(page: Page, url: string, options: ReliableClientOptions = {}): Promise<void> {
  await page.evaluate(
    ({ url, options }) => {
      const h = window.harness;
      const i = h.create(url, options);
      h.clients[i]!.connect().catch(() => undefined);
    },
    { url, options: { ...OPTIONS, ...options } },
  );
}

/** Every message id ran the handler exactly once, and the payloads are exactly 0..n-1. */
function expectExactlyOnce(srv: TestServer, ids: string[], n: number): void {
  expect([...srv.processed.keys()].sort()).toEqual([...ids].sort());
  expect([...srv.processed.values()].every((count) => count === 1)).toBe(true);
  const seen = srv.order.map((p) => (p as { n: number }).n).sort((a, b) => a - b);
  expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
}

describeBrowser('browser: the queue persists in IndexedDB (BrowserStorageAdapter)', () => {
  const fixture = useBrowser();
  const servers: TestServer[] = [];
  const contexts: BrowserContext[] = [];
  const dirs: string[] = [];

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'queues while the server is down, survives a reload, then delivers each message exactly once in order',
    async () => {
      // Learn a free port, then take the server down.
      const probe = await startTestServer();
      const { port, url } = probe;
      await probe.close();

      const context = await fixture.browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(fixture.page.url);
      await openClient(page, url);
      const before = await page.evaluate(async () => {
        const h = window.harness;
        const ids = await h.sendAll(
          0,
          'ECHO',
          Array.from({ length: 20 }, (_, n) => ({ n })),
        );
        const adapter = new h.lib.BrowserStorageAdapter({ name: 'orders' });
        return { ids, stats: h.clients[0]!.getStats(), driver: await adapter.driverName() };
      });
      expect(before.driver).toBe('asyncStorage'); // localforage's name for IndexedDB
      expect(before.stats).toMatchObject({ queueSize: 20, durable: true, messagesSent: 0 });

      await page.reload();
      await openClient(page, url);
      await pageUntil(
        page,
        () => window.harness.clients[0]!.getStats().queueSize === 20,
        null,
        10_000,
        '20 restored messages',
      );

      const srv = await startTestServer({ port });
      servers.push(srv);
      await until(() => srv.processed.size === 20, 20_000, 'all 20 messages processed');
      await pageUntil(
        page,
        () => window.harness.clients[0]!.getStats().queueSize === 0,
        null,
        10_000,
        'an empty queue',
      );

      expectExactlyOnce(srv, before.ids, 20);
      expect(srv.order.map((p) => (p as { n: number }).n)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      const after = await page.evaluate(() => ({
        acked: window.harness.count('messageAcknowledged'),
        failed: window.harness.count('messageFailed') + window.harness.count('messageExpired'),
      }));
      expect(after).toEqual({ acked: 20, failed: 0 });
    },
    BROWSER_TIMEOUT,
  );

  it(
    'loses nothing and processes nothing twice when the page closes mid-flush and reopens',
    async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const entered = new Set<number>();
      // Messages 0..9 are handled at once; from 10 on the handler stalls until the page is gone.
      const srv = await startTestServer({}, async (payload) => {
        const { n } = payload as { n: number };
        entered.add(n);
        if (n >= 10) await gate;
        return { n };
      });
      servers.push(srv);
      const context = await fixture.browser.newContext();
      contexts.push(context);
      const first = await context.newPage();
      await first.goto(fixture.page.url);
      await openClient(first, srv.url, { maxInFlight: 5 });
      const ids = await first.evaluate(() =>
        window.harness.sendAll(
          0,
          'ECHO',
          Array.from({ length: 50 }, (_, n) => ({ n })),
        ),
      );
      // 0..9 acknowledged, 10..14 in the handler (in flight), 15..49 still queued.
      await until(() => entered.size === 15, 10_000, 'messages 0..14 to reach the handler');
      await pageUntil(
        first,
        () => window.harness.count('messageAcknowledged') === 10,
        null,
        10_000,
        '10 acks',
      );
      await first.close();
      release();

      const second = await context.newPage();
      await second.goto(fixture.page.url);
      await openClient(second, srv.url, { maxInFlight: 5 });
      await until(() => srv.processed.size === 50, 20_000, 'all 50 messages processed');
      await pageUntil(
        second,
        () => window.harness.clients[0]!.getStats().queueSize === 0,
        null,
        10_000,
        'an empty queue',
      );

      expectExactlyOnce(srv, ids, 50);
      // The five in flight at the close were resent and answered from the dedupe window.
      expect(srv.server.stats().duplicates).toBeGreaterThanOrEqual(5);
      expect(await second.evaluate(() => window.harness.count('messageAcknowledged'))).toBe(40);
    },
    BROWSER_TIMEOUT,
  );

  it(
    'keeps the queue on disk when the whole browser is closed mid-flush and started again',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rxws-profile-'));
      dirs.push(dir);
      const pageServer = await startTestPage();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const srv = await startTestServer({}, async (payload) => {
        if ((payload as { n: number }).n >= 5) await gate;
        return null;
      });
      servers.push(srv);
      try {
        const firstRun = await launchPersistent(dir);
        contexts.push(firstRun); // closed after the case even if it fails midway (closing twice is a no-op)
        const page = firstRun.pages()[0] ?? (await firstRun.newPage());
        await page.goto(pageServer.url);
        await openClient(page, srv.url, { maxInFlight: 3 });
        const ids = await page.evaluate(() =>
          window.harness.sendAll(
            0,
            'ECHO',
            Array.from({ length: 30 }, (_, n) => ({ n })),
          ),
        );
        await pageUntil(
          page,
          () => window.harness.count('messageAcknowledged') === 5,
          null,
          10_000,
          '5 acks',
        );
        await firstRun.close();
        release();

        const secondRun = await launchPersistent(dir);
        contexts.push(secondRun);
        const reopened = secondRun.pages()[0] ?? (await secondRun.newPage());
        await reopened.goto(pageServer.url);
        await openClient(reopened, srv.url, { maxInFlight: 3 });
        await until(() => srv.processed.size === 30, 20_000, 'all 30 messages processed');
        expectExactlyOnce(srv, ids, 30);
        await pageUntil(
          reopened,
          () => window.harness.clients[0]!.getStats().queueSize === 0,
          null,
          10_000,
          'an empty queue',
        );
      } finally {
        await pageServer.close();
      }
    },
    BROWSER_TIMEOUT,
  );
});
