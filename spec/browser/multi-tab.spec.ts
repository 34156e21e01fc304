import type { BrowserContext, Page } from 'playwright-core';
import type { Subscription } from 'rxjs';
import type { ReliableClientOptions } from '../../src/index';
import { API_KEY, startTestServer, type TestServer } from '../helpers/test-server';
import { until } from '../helpers/wait';
import { BROWSER_TIMEOUT, describeBrowser } from './helpers/chromium';
import { eventually, pageUntil, useBrowser, untilConnected } from './helpers/browser-fixture';

const OPTIONS: ReliableClientOptions = {
  apiKey: API_KEY,
  storageKey: 'shared',
  reconnectInterval: 50,
  maxReconnectAttempts: 10_000,
  heartbeatInterval: 1000,
  heartbeatTimeout: 1000,
  messageTimeout: 2000,
  backoff: { maxInterval: 200, jitter: 'none' },
};

async function openTab(context: BrowserContext, pageUrl: string, wsUrl: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(pageUrl);
  await page.evaluate(
    ({ url, options }) => {
      const h = window.harness;
      h.clients[h.create(url, options)]!.connect().catch(() => undefined);
    },
    { url: wsUrl, options: OPTIONS },
  );
  return page;
}

const isLeader = (page: Page): Promise<boolean> => page.evaluate(() => window.harness.clients[0]!.isLeader);

/** Counts authenticated sessions over time on the server; `max` is the most ever open at once. */
function watchSessions(srv: TestServer): { max: () => number; total: () => number; stop: () => void } {
  let open = 0;
  let max = 0;
  let total = 0;
  const subscription: Subscription = srv.server.events$.subscribe((event) => {
    if (event.type === 'connection') {
      total++;
      max = Math.max(max, ++open);
    } else if (event.type === 'disconnect') open--;
  });
  return { max: () => max, total: () => total, stop: () => subscription.unsubscribe() };
}

describeBrowser('browser: tabs sharing a storageKey have one sender (Web Locks)', () => {
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
    "close() in a tab that does not send settles that tab's pending sends; the message stays for the sending tab",
    async () => {
      let answer: (() => void) | undefined;
      const srv = await startTestServer({}, () => new Promise<void>((resolve) => (answer = resolve)));
      servers.push(srv);
      const a = await openTab(context, fixture.page.url, srv.url);
      await untilConnected(a, 'tab A connected');
      const b = await openTab(context, fixture.page.url, srv.url);
      await untilConnected(b, 'tab B to see connected');
      expect(await isLeader(b)).toBe(false);
      const settled = await b.evaluate(async () => {
        const client = window.harness.clients[0]!;
        const result = client.sendWithAcknowledgement({ type: 'ECHO', payload: 'from-b' });
        await new Promise((resolve) => setTimeout(resolve, 50));
        await client.close();
        const r = await Promise.race([
          result,
          new Promise((resolve) => setTimeout(() => resolve('pending'), 1000)),
        ]);
        return r === 'pending'
          ? r
          : {
              acknowledged: (r as { acknowledged: boolean }).acknowledged,
              name: (r as { error?: Error }).error?.name,
              failed: window.harness.count('messageFailed'),
            };
      });
      expect(settled).toEqual({ acknowledged: false, name: 'ConnectionError', failed: 1 });
      // The sending tab still delivers it.
      await until(() => srv.processed.size === 1, 5000, 'tab A to deliver the message');
      answer?.();
    },
    BROWSER_TIMEOUT,
  );

  it(
    'one tab connects; the other hands its messages over, learns each outcome and receives server pushes',
    async () => {
      const srv = await startTestServer();
      servers.push(srv);
      const sessions = watchSessions(srv);
      const a = await openTab(context, fixture.page.url, srv.url);
      await untilConnected(a, 'tab A connected');
      const b = await openTab(context, fixture.page.url, srv.url);
      // B's connect() resolves through A's connection: its state mirrors A's.
      await untilConnected(b, 'tab B to see connected');
      expect([await isLeader(a), await isLeader(b)]).toEqual([true, false]);

      const send = (page: Page, from: string): Promise<unknown[]> =>
        page.evaluate(
          (from) =>
            Promise.all(
              Array.from({ length: 10 }, (_, n) =>
                window.harness.clients[0]!.sendWithAcknowledgement({ type: 'ECHO', payload: { from, n } }),
              ),
            ).then((results) => results.map((r) => ({ acknowledged: r.acknowledged, response: r.response }))),
          from,
        );
      const [fromA, fromB] = await Promise.all([send(a, 'a'), send(b, 'b')]);
      expect(fromB).toEqual(
        Array.from({ length: 10 }, (_, n) => ({ acknowledged: true, response: { echo: { from: 'b', n } } })),
      );
      expect(fromA).toHaveLength(10);
      expect(srv.processed.size).toBe(20);
      expect([...srv.processed.values()].every((c) => c === 1)).toBe(true);
      expect(sessions.total()).toBe(1);
      expect(
        await b.evaluate(() => [window.harness.count('open'), window.harness.count('messageAcknowledged')]),
      ).toEqual([0, 10]);
      expect(await b.evaluate(() => window.harness.clients[0]!.getStats().queueSize)).toBe(0);

      srv.server.broadcast('PRICE', { bid: 1.1 });
      for (const page of [a, b]) {
        await pageUntil(page, () => window.harness.count('message') === 1, null, 5000, 'the pushed PRICE');
        expect(
          await page.evaluate(() => window.harness.events.find((e) => e.type === 'message')!.detail),
        ).toMatchObject({
          type: 'PRICE',
          payload: { bid: 1.1 },
        });
      }
      sessions.stop();
    },
    BROWSER_TIMEOUT,
  );

  it(
    'the leader tab closes: the next one takes over and delivers what both queued while the server was down, exactly once',
    async () => {
      const probe = await startTestServer();
      const { port, url } = probe;
      await probe.close();

      const a = await openTab(context, fixture.page.url, url);
      await pageUntil(a, () => window.harness.clients[0]!.isLeader, null, 10_000, 'tab A to lead');
      const b = await openTab(context, fixture.page.url, url);
      const c = await openTab(context, fixture.page.url, url);
      expect([await isLeader(b), await isLeader(c)]).toEqual([false, false]);

      const ids: string[] = [];
      for (const [page, from] of [
        [a, 'a'],
        [b, 'b'],
        [c, 'c'],
      ] as const) {
        ids.push(
          ...(await page.evaluate(
            (from) =>
              window.harness.sendAll(
                0,
                'ECHO',
                Array.from({ length: 5 }, (_, n) => ({ from, n })),
              ),
            from,
          )),
        );
      }
      // B's and C's messages reached A's queue (A counts them), yet none could be sent.
      await pageUntil(
        a,
        () => window.harness.clients[0]!.getStats().queueSize === 15,
        null,
        5000,
        'A holding all 15',
      );

      await a.close();
      await eventually(
        async () => (await isLeader(b)) !== (await isLeader(c)),
        10_000,
        'exactly one of B and C to lead',
      );
      const srv = await startTestServer({ port });
      servers.push(srv);
      const sessions = watchSessions(srv);
      await until(() => srv.processed.size === 15, 20_000, 'all 15 messages processed');

      expect([...srv.processed.keys()].sort()).toEqual([...ids].sort());
      expect([...srv.processed.values()].every((count) => count === 1)).toBe(true);
      // Each tab's own callers got their outcomes, whichever tab sent them.
      for (const page of [b, c]) {
        await pageUntil(
          page,
          () => Object.keys(window.harness.results).length === 5,
          null,
          10_000,
          'five results',
        );
        const results = await page.evaluate(() =>
          Object.values(window.harness.results).map((r) => r.acknowledged),
        );
        expect(results).toEqual([true, true, true, true, true]);
      }
      expect(sessions.max()).toBe(1);
      expect([await isLeader(b), await isLeader(c)].filter(Boolean)).toHaveLength(1);
      sessions.stop();
    },
    BROWSER_TIMEOUT,
  );

  it(
    'close() in a follower returns at once; close() in the leader hands over to the follower',
    async () => {
      const srv = await startTestServer();
      servers.push(srv);
      const sessions = watchSessions(srv);
      const a = await openTab(context, fixture.page.url, srv.url);
      await untilConnected(a, 'tab A connected');
      const b = await openTab(context, fixture.page.url, srv.url);
      const c = await openTab(context, fixture.page.url, srv.url);
      await untilConnected(c, 'tab C to see connected');
      // A follower's close(): nothing to wait for, and the leader does not notice.
      await b.evaluate(() => window.harness.clients[0]!.close());
      expect(await a.evaluate(() => window.harness.clients[0]!.state)).toBe('connected');

      await a.evaluate(() => window.harness.clients[0]!.close());
      await pageUntil(c, () => window.harness.clients[0]!.isLeader, null, 10_000, 'tab C to lead');
      await pageUntil(c, () => window.harness.count('open') === 1, null, 10_000, "tab C's own connection");
      const acked = await c.evaluate(() =>
        window.harness.clients[0]!.sendWithAcknowledgement({ type: 'ECHO', payload: 'from C' }).then(
          (r) => r.acknowledged,
        ),
      );
      expect(acked).toBe(true);
      expect(sessions.total()).toBe(2);
      expect(sessions.max()).toBe(1);
      sessions.stop();
    },
    BROWSER_TIMEOUT,
  );

  it(
    'control: with singleSender off, both tabs open a session (the case the lock prevents)',
    async () => {
      const srv = await startTestServer();
      servers.push(srv);
      const sessions = watchSessions(srv);
      for (let i = 0; i < 2; i++) {
        const page = await context.newPage();
        await page.goto(fixture.page.url);
        await page.evaluate(
          ({ url, options }) => window.harness.clients[window.harness.create(url, options)]!.connect(),
          { url: srv.url, options: { ...OPTIONS, singleSender: false, reconnectInterval: 5000 } },
        );
      }
      // Same clientId from the shared store: the second session replaces the first (4003), which then
      // fights back on its next reconnect. This is what the lock prevents.
      await until(() => sessions.total() >= 2, 5000, 'two sessions');
      sessions.stop();
    },
    BROWSER_TIMEOUT,
  );
});
