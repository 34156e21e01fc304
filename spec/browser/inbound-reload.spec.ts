import type { BrowserContext, Page } from 'playwright-core';
import type { ReliableClientOptions } from '../../src/index';
import { ReliableWebSocketServer } from '../../src/server/index';
import { until } from '../helpers/wait';
import {
  countInbound,
  inboundFaults,
  NO_INBOUND_FAULTS,
  type Received,
} from '../reliability/helpers/inbound-counts';
import { BROWSER_TIMEOUT, describeBrowser } from './helpers/chromium';
import { pageUntil, untilConnected, useBrowser } from './helpers/browser-fixture';

const STREAM = 'principal:alice';
const OPTIONS: ReliableClientOptions = {
  apiKey: 'a',
  storageKey: 'fills',
  reconnectInterval: 50,
  maxReconnectAttempts: 10_000,
  heartbeatInterval: 1000,
  heartbeatTimeout: 1000,
  backoff: { maxInterval: 200, jitter: 'none' },
};

/**
 * Creates the page's client and records every reliable message app code gets
 * in localStorage, synchronously inside the subscriber: a reload cannot lose
 * a record the way it loses the page's memory.
 */
async function openTrader(page: Page, url: string): Promise<void> {
  await page.evaluate(
    ({ url, options, stream }) => {
      const h = window.harness;
      const client = h.clients[h.create(url, options)]!;
      client.messages$.subscribe((m) => {
        if (m.stream !== stream) return;
        const line = `${(m.payload as { n: number }).n}:${m.seq}:${m.redelivered ? 1 : 0};`;
        localStorage.setItem('got', (localStorage.getItem('got') ?? '') + line);
      });
      client.addEventListener('inboundGap', () =>
        localStorage.setItem('gaps', String(Number(localStorage.getItem('gaps') ?? 0) + 1)),
      );
      client.connect().catch(() => undefined);
    },
    { url, options: OPTIONS, stream: STREAM },
  );
}

async function recorded(page: Page): Promise<{ received: Received[]; gaps: number }> {
  const { got, gaps } = await page.evaluate(() => ({
    got: localStorage.getItem('got') ?? '',
    gaps: Number(localStorage.getItem('gaps') ?? 0),
  }));
  const received = got
    .split(';')
    .filter(Boolean)
    .map((entry) => {
      const [n, seq, redelivered] = entry.split(':');
      return { n: Number(n), seq: Number(seq), redelivered: redelivered === '1' };
    });
  return { received, gaps };
}

describeBrowser('browser: reliable streams across page reloads (cursor in IndexedDB)', () => {
  const fixture = useBrowser();
  let context: BrowserContext;
  let server: ReliableWebSocketServer;

  beforeEach(async () => {
    context = await fixture.browser.newContext();
    server = new ReliableWebSocketServer({ port: 0, authenticate: (key) => (key === 'a' ? 'alice' : null) });
  });
  afterEach(async () => {
    await context.close();
    await server.close();
  });

  it(
    'three reloads mid-stream: every published message reaches the page once, in order, no gap',
    async () => {
      const { port } = await server.listen();
      const url = `ws://127.0.0.1:${port}`;
      const page = await context.newPage();
      await page.goto(fixture.page.url);
      await openTrader(page, url);
      await untilConnected(page, 'the page connected');
      await new Promise((resolve) => setTimeout(resolve, 200)); // its first cursor is in IndexedDB
      const published: number[] = [];
      let publishing = true;
      const publisher = (async () => {
        for (let n = 1; publishing && n <= 5000; n++) {
          await server.publish(STREAM, 'EXECUTION_REPORT', { n });
          published.push(n);
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      try {
        for (let reload = 0; reload < 3; reload++) {
          const before = published.length;
          await until(() => published.length >= before + 100, 10_000, 'more publishes');
          await page.reload();
          await openTrader(page, url);
          await untilConnected(page, `the page connected after reload ${reload + 1}`);
        }
      } finally {
        publishing = false;
        await publisher;
      }
      const last = published.length;
      await pageUntil(
        page,
        (n) => (localStorage.getItem('got') ?? '').includes(`;${n}:`),
        last,
        20_000,
        `message ${last} in the page`,
      );
      const { received, gaps } = await recorded(page);
      const counts = countInbound(published, received);
      console.log(`browser reloads: ${JSON.stringify(counts)} gaps ${gaps}`);
      expect(inboundFaults(counts)).toEqual(NO_INBOUND_FAULTS);
      expect(counts.received).toBe(last);
      expect(gaps).toBe(0);
    },
    BROWSER_TIMEOUT,
  );
});
