import { AckTimeoutError, ReliableWebSocketClient, type ClientEvent } from '../../src/node';
import { API_KEY, startTestServer, type TestServer } from '../helpers/test-server';

/**
 * Against the real server: a message sent at once (connected, window free) keeps
 * its own `timeout` and `maxRetries`. The client's defaults are 30 s and 5 retries,
 * so a result within jest's 5 s timeout can only come from the message's own options.
 */
describe('ReliableWebSocketClient.sendWithAcknowledgement per-message options', () => {
  let srv: TestServer;
  let client: ReliableWebSocketClient;

  beforeEach(async () => {
    // The handler never answers: no ack ever comes.
    srv = await startTestServer({}, () => new Promise<never>(() => undefined));
    client = new ReliableWebSocketClient(srv.url, {
      apiKey: API_KEY,
      enablePersistence: false,
      messageTimeout: 30_000,
      maxRetries: 5,
    });
    await client.connect();
  });

  afterEach(async () => {
    await client.close();
    await srv.close();
  });

  it('{ timeout: 100, maxRetries: 0 } against a handler that never answers ends ACK_TIMEOUT after 1 attempt', async () => {
    const failed: ClientEvent[] = [];
    client.events$.subscribe((e) => e.type === 'messageFailed' && failed.push(e));
    const result = await client.sendWithAcknowledgement(
      { type: 'ECHO', payload: { order: 1 } },
      { timeout: 100, maxRetries: 0 },
    );
    expect(result).toMatchObject({ acknowledged: false, attempts: 1 });
    expect(result.error).toBeInstanceOf(AckTimeoutError);
    expect(result.error).toMatchObject({ code: 'ACK_TIMEOUT', attempts: 1, timeoutMs: 100 });
    expect(failed.map((e) => e.detail)).toEqual([
      expect.objectContaining({ messageId: result.messageId, attempts: 1 }),
    ]);
    expect([...srv.processed.values()]).toEqual([1]);
    expect(client.getStats()).toMatchObject({
      messagesSent: 1,
      messagesRetried: 0,
      queueSize: 0,
      inFlight: 0,
    });
  });

  it('{ timeout: 100, maxRetries: 2 } is sent 3 times under one id, processed once', async () => {
    const result = await client.sendWithAcknowledgement(
      { type: 'ECHO', payload: 2 },
      { timeout: 100, maxRetries: 2 },
    );
    expect(result).toMatchObject({ acknowledged: false, attempts: 3 });
    expect(result.error).toBeInstanceOf(AckTimeoutError);
    expect([...srv.processed.entries()]).toEqual([[result.messageId, 1]]);
    expect(client.getStats()).toMatchObject({ messagesSent: 3, messagesRetried: 2 });
  });

  it('encodes the payload once: the validated JSON is what goes on the wire', async () => {
    let encoded = 0;
    const payload = { toJSON: () => (encoded++, { order: 3 }) };
    const result = await client.sendWithAcknowledgement(
      { type: 'ECHO', payload },
      { timeout: 100, maxRetries: 0 },
    );
    expect(result).toMatchObject({ acknowledged: false, attempts: 1 });
    expect(srv.order).toEqual([{ order: 3 }]);
    expect(encoded).toBe(1);
  });
});
