import type { BrowserContext, Page } from 'playwright-core';
import type { ReliableClientOptions } from '../../src/index';
import { API_KEY, startTestServer, type TestServer } from '../helpers/test-server';
import { BROWSER_TIMEOUT, describeBrowser } from './helpers/chromium';
import { pageUntil, useBrowser } from './helpers/browser-fixture';

const OPTIONS: ReliableClientOptions = { apiKey: API_KEY, storageKey: 'outage', messageTimeout: 2000 };

/** Storage blocked the way "block all site data" does it: no IndexedDB, localStorage throws SecurityError. */
const BLOCK_STORAGE = `
  Object.defineProperty(window, 'indexedDB', { configurable: true, get: () => undefined });
  Object.defineProperty(window, 'localStorage', {
    configurable: true,
    get: () => { throw new DOMException('Access is denied for this document.', 'SecurityError'); },
  });
`;

interface Outcome {
  accepted: number;
  rejection: { name: string; code: string; reason: string } | undefined;
  errorEvents: Array<{ code: string; reason: string }>;
  stats: { durable: boolean; queueSize: number };
}

/** Sends up to `n` messages of ~`size` random characters each; stops at the first rejection. */
function sendUntilRejected(page: Page, n: number, size: number): Promise<Outcome> {
  return page.evaluate(
    async ({ n, size }) => {
      const h = window.harness;
      const client = h.clients[0]!;
      let accepted = 0;
      let rejection: Outcome['rejection'];
      for (let i = 0; i < n && !rejection; i++) {
        const noise = Array.from(crypto.getRandomValues(new Uint8Array(size / 2)), (b) =>
          b.toString(16).padStart(2, '0'),
        ).join('');
        try {
          const { messageId, result } = await client.send({ type: 'ECHO', payload: { i, noise } });
          accepted++;
          void result.then(
            (r) => (h.results[messageId] = { acknowledged: r.acknowledged, attempts: r.attempts }),
          );
        } catch (error) {
          const e = error as { name: string; code: string; reason: string };
          rejection = { name: e.name, code: e.code, reason: e.reason };
        }
      }
      const errorEvents = h.events
        .filter((e) => e.type === 'error')
        .map((e) => (e.detail as { error: { code: string; reason: string } }).error)
        .map(({ code, reason }) => ({ code, reason }));
      const { durable, queueSize } = client.getStats();
      return { accepted, rejection, errorEvents, stats: { durable, queueSize } };
    },
    { n, size },
  );
}

describeBrowser('browser: storage unavailable or over quota', () => {
  const fixture = useBrowser();
  let context: BrowserContext;
  let srv: TestServer;

  beforeEach(async () => {
    context = await fixture.browser.newContext();
    srv = await startTestServer();
  });
  afterEach(async () => {
    await context.close();
    await srv.close();
  });

  /**
   * Restarts the server with a handler that waits for `release()`: nothing is
   * acked (so nothing is deleted from IndexedDB) while the quota fills, which
   * makes hitting the quota independent of how fast this machine acks.
   */
  async function holdAcks(): Promise<() => void> {
    await srv.close();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    srv = await startTestServer({}, async (payload) => {
      await gate;
      return { echo: payload };
    });
    return release;
  }

  async function open(
    options: ReliableClientOptions,
    blockStorage: boolean,
    quotaBytes?: number,
  ): Promise<Page> {
    const page = await context.newPage();
    if (blockStorage) await page.addInitScript(BLOCK_STORAGE);
    if (quotaBytes !== undefined) {
      const cdp = await context.newCDPSession(page);
      const origin = fixture.page.url.replace(/\/$/, '');
      await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: quotaBytes });
    }
    await page.goto(fixture.page.url);
    await page.evaluate(
      ({ url, options }) => window.harness.clients[window.harness.create(url, options)]!.connect(),
      { url: srv.url, options: { ...OPTIONS, ...options } },
    );
    return page;
  }

  it(
    "storage blocked, storageFallback 'none': connects, reports UNAVAILABLE as an error event, sends reject, durable is false",
    async () => {
      const page = await open({}, true);
      const outcome = await sendUntilRejected(page, 3, 100);
      expect(outcome.accepted).toBe(0);
      expect(outcome.rejection).toEqual({
        name: 'StorageError',
        code: 'STORAGE_ERROR',
        reason: 'UNAVAILABLE',
      });
      expect(outcome.errorEvents.length).toBeGreaterThanOrEqual(1);
      expect(outcome.errorEvents[0]).toEqual({ code: 'STORAGE_ERROR', reason: 'UNAVAILABLE' });
      expect(outcome.stats).toEqual({ durable: false, queueSize: 0 });
      expect(await page.evaluate(() => window.harness.clients[0]!.state)).toBe('connected');
      expect(srv.processed.size).toBe(0);
    },
    BROWSER_TIMEOUT,
  );

  it(
    "storage blocked, storageFallback 'memory': one error event, every message accepted and delivered, durable is false",
    async () => {
      const page = await open({ storageFallback: 'memory' }, true);
      const outcome = await sendUntilRejected(page, 10, 100);
      expect(outcome.accepted).toBe(10);
      expect(outcome.rejection).toBeUndefined();
      expect(outcome.errorEvents).toEqual([{ code: 'STORAGE_ERROR', reason: 'UNAVAILABLE' }]);
      expect(outcome.stats.durable).toBe(false);
      await pageUntil(
        page,
        () => Object.keys(window.harness.results).length === 10,
        null,
        10_000,
        '10 results',
      );
      expect(srv.processed.size).toBe(10);
    },
    BROWSER_TIMEOUT,
  );

  it(
    "over quota, storageFallback 'none': the send that does not fit rejects with QUOTA_EXCEEDED; what was accepted is delivered",
    async () => {
      const release = await holdAcks();
      const page = await open({}, false, 300 * 1024);
      const outcome = await sendUntilRejected(page, 40, 50_000);
      release();
      expect(outcome.accepted).toBeGreaterThan(0);
      expect(outcome.accepted).toBeLessThan(40);
      expect(outcome.rejection).toEqual({
        name: 'StorageError',
        code: 'STORAGE_QUOTA_EXCEEDED',
        reason: 'QUOTA_EXCEEDED',
      });
      expect(outcome.errorEvents).toContainEqual({
        code: 'STORAGE_QUOTA_EXCEEDED',
        reason: 'QUOTA_EXCEEDED',
      });
      // What was accepted was persisted: still durable. Nothing half-accepted lingers.
      expect(outcome.stats.durable).toBe(true);
      await pageUntil(
        page,
        (n) => Object.keys(window.harness.results).length === n,
        outcome.accepted,
        10_000,
        'results',
      );
      expect(srv.processed.size).toBe(outcome.accepted);
      expect(await page.evaluate(() => window.harness.clients[0]!.getStats().queueSize)).toBe(0);
    },
    BROWSER_TIMEOUT,
  );

  it(
    "over quota, storageFallback 'memory': switches to memory once (error event), accepts the rest, durable turns false",
    async () => {
      const release = await holdAcks();
      const page = await open({ storageFallback: 'memory' }, false, 300 * 1024);
      const outcome = await sendUntilRejected(page, 20, 50_000);
      release();
      expect(outcome.accepted).toBe(20);
      expect(outcome.errorEvents).toEqual([{ code: 'STORAGE_QUOTA_EXCEEDED', reason: 'QUOTA_EXCEEDED' }]);
      expect(outcome.stats.durable).toBe(false);
      await pageUntil(
        page,
        () => Object.keys(window.harness.results).length === 20,
        null,
        15_000,
        '20 results',
      );
      expect(srv.processed.size).toBe(20);
      expect([...srv.processed.values()].every((c) => c === 1)).toBe(true);
    },
    BROWSER_TIMEOUT,
  );
});
