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
async function openTrader(page: Page, url: string, tab = ''): Promise<void> {
  await page.evaluate(
    ({ url, options, stream, tab }) => {
      const h = window.harness;
      const client = h.clients[h.create(url, options)]!;
      client.messages$.subscribe((m) => {
        if (m.stream !== stream) return;
        const line = `${(m.payload as { n: number }).n}:${m.seq}:${m.redelivered ? 1 : 0};`;
        localStorage.setItem(`got${tab}`, (localStorage.getItem(`got${tab}`) ?? '') + line);
      });
      client.addEventListener('inboundGap', () =>
        localStorage.setItem(`gaps${tab}`, String(Number(localStorage.getItem(`gaps${tab}`) ?? 0) + 1)),
      );
      // connect() resolves once the first cursor is in IndexedDB: `subscribed` waits for it.
      (window as unknown as { subscribed: Promise<void> }).subscribed = client
        .connect()
        .catch(() => undefined);
    },
    { url, options: OPTIONS, stream: STREAM, tab },
  );
}

/** Publishes `{ n }` every 2 ms until `stop()`; `published` holds what the log took. */
function startPublishing(server: ReliableWebSocketServer): {
  published: number[];
  stop: () => Promise<void>;
} {
  const published: number[] = [];
  let publishing = true;
  const done = (async () => {
    for (let n = 1; publishing && n <= 5000; n++) {
      await server.publish(STREAM, 'EXECUTION_REPORT', { n });
      published.push(n);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  return {
    published,
    stop: async () => {
      publishing = false;
      await done;
    },
  };
}

/** Resolves once the page's connect() has (the subscription is durable). */
async function subscribed(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { subscribed: Promise<void> }).subscribed);
}

async function recorded(page: Page, tab = ''): Promise<{ received: Received[]; gaps: number }> {
  const { got, gaps } = await page.evaluate(
    (tab) => ({
      got: localStorage.getItem(`got${tab}`) ?? '',
      gaps: Number(localStorage.getItem(`gaps${tab}`) ?? 0),
    }),
    tab,
  );
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
      await subscribed(page);
      const { published, stop } = startPublishing(server);
      try {
        for (let reload = 0; reload < 3; reload++) {
          const before = published.length;
          await until(() => published.length >= before + 100, 10_000, 'more publishes');
          await page.reload();
          await openTrader(page, url);
          await untilConnected(page, `the page connected after reload ${reload + 1}`);
        }
      } finally {
        await stop();
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

  it(
    'the leader tab closes mid-stream: the other tab saw every message, a repeat only marked redelivered',
    async () => {
      const { port } = await server.listen();
      const url = `ws://127.0.0.1:${port}`;
      const a = await context.newPage();
      await a.goto(fixture.page.url);
      await openTrader(a, url, 'A');
      await untilConnected(a, 'tab A connected');
      const b = await context.newPage();
      await b.goto(fixture.page.url);
      await openTrader(b, url, 'B');
      await untilConnected(b, 'tab B to see connected');
      expect(await a.evaluate(() => window.harness.clients[0]!.isLeader)).toBe(true);
      await subscribed(a);
      const { published, stop } = startPublishing(server);
      try {
        await until(() => published.length >= 150, 10_000, '150 publishes');
        await a.close();
        await pageUntil(b, () => window.harness.clients[0]!.isLeader, null, 10_000, 'tab B to lead');
        const after = published.length;
        await until(() => published.length >= after + 100, 10_000, '100 more publishes');
      } finally {
        await stop();
      }
      const last = published.length;
      await pageUntil(
        b,
        (n) => (localStorage.getItem('gotB') ?? '').includes(`;${n}:`),
        last,
        20_000,
        `message ${last} in tab B`,
      );
      const { received, gaps } = await recorded(b, 'B');
      const counts = countInbound(published, received);
      console.log(`browser leader tab closed: ${JSON.stringify(counts)} gaps ${gaps}`);
      expect(inboundFaults(counts)).toEqual(NO_INBOUND_FAULTS);
      expect(counts.received).toBe(last);
      expect(gaps).toBe(0);
    },
    BROWSER_TIMEOUT,
  );
});
