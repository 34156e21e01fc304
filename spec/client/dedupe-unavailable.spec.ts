import { AckTimeoutError } from '../../src/protocol/errors';
import { ReliableWebSocketClient } from '../../src/node';
import { MemoryDedupeStore, type DedupeStore } from '../../src/server/index';
import { API_KEY, startTestServer, type TestServer } from '../helpers/test-server';

/** A memory store whose first `failures` lookups throw, as a Redis outage does. */
function flaky(failures: number): DedupeStore & { calls: number } {
  const memory = new MemoryDedupeStore();
  const store = {
    calls: 0,
    get(key: string, now: number) {
      if (++store.calls <= failures) throw new Error('Redis unreachable');
      return memory.get(key, now);
    },
    begin: (key: string, expiresAt: number) => memory.begin(key, expiresAt),
    complete: (key: string, outcome: Parameters<DedupeStore['complete']>[1], expiresAt: number) =>
      memory.complete(key, outcome, expiresAt),
    evictExpired: (now: number) => memory.evictExpired(now),
  };
  return store;
}

describe('ReliableWebSocketClient and DEDUPE_UNAVAILABLE', () => {
  let srv: TestServer;
  let client: ReliableWebSocketClient;
  afterEach(async () => {
    await client.close();
    await srv.close();
  });

  async function start(store: DedupeStore, maxRetries: number): Promise<void> {
    srv = await startTestServer({ dedupeStore: store });
    client = new ReliableWebSocketClient(srv.url, {
      apiKey: API_KEY,
      enablePersistence: false,
      messageTimeout: 50,
      maxRetries,
    });
    await client.connect();
  }

  it('keeps the message and resends it (same id) until the server can record it: acked, handler ran once', async () => {
    await start(flaky(2), 5);
    const result = await client.sendWithAcknowledgement({ type: 'ECHO', payload: 1 });
    expect(result).toMatchObject({ acknowledged: true, attempts: 3, response: { echo: 1 } });
    expect(srv.processed.get(result.messageId)).toBe(1);
    expect(srv.server.stats().nacks).toBe(2);
  });

  it('ends as retries exhausted when the store stays unreachable, the handler never run', async () => {
    await start(flaky(Infinity), 2);
    const result = await client.sendWithAcknowledgement({ type: 'ECHO', payload: 1 });
    expect(result).toMatchObject({ acknowledged: false, attempts: 3 });
    expect(result.error).toBeInstanceOf(AckTimeoutError);
    expect(srv.processed.size).toBe(0);
  });
});
