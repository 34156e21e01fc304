import { AuthenticationError, ConnectionError, ReliableWebSocketClient } from '../../src/node';
import { API_KEY, startTestServer, type TestServer } from '../helpers/test-server';

/** Every error in `error`'s `cause` chain, `error` first (bounded: a cycle cannot hang the spec). */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && chain.length < 10; e = (e as { cause?: unknown }).cause)
    chain.push(e);
  return chain;
}

describe('ReliableWebSocketClient errors keep their cause', () => {
  it('a refused connection (nothing listens) has ECONNREFUSED in its cause chain and in its message', async () => {
    // Port 1 on loopback: nothing listens there, so the kernel refuses at once.
    const client = new ReliableWebSocketClient('ws://127.0.0.1:1', {
      enablePersistence: false,
      maxReconnectAttempts: 1,
      reconnectInterval: 10,
    });
    try {
      const error = await client.connect().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as Error).message).toMatch(/ECONNREFUSED/);
      expect(causes(error).some((e) => (e as { code?: unknown }).code === 'ECONNREFUSED')).toBe(true);
    } finally {
      await client.close();
    }
  });

  describe('authentication', () => {
    let srv: TestServer;
    beforeEach(async () => {
      srv = await startTestServer();
    });
    afterEach(() => srv.close());

    const connect = async (apiKey: string | undefined): Promise<unknown> => {
      const client = new ReliableWebSocketClient(srv.url, {
        enablePersistence: false,
        ...(apiKey === undefined ? {} : { apiKey }),
      });
      try {
        return await client.connect().then(
          () => undefined,
          (e: unknown) => e,
        );
      } finally {
        await client.close();
      }
    };

    it('a missing apiKey says "no apiKey was given"', async () => {
      const error = await connect(undefined);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as Error).message).toMatch(/no apiKey was given/);
    });

    it('a wrong apiKey says it was rejected, not that none was given', async () => {
      const error = await connect(`${API_KEY}-wrong`);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as Error).message).toMatch(/rejected/);
      expect((error as Error).message).not.toMatch(/no apiKey/);
    });
  });
});
