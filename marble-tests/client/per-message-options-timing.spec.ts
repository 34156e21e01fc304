import { AckTimeoutError, MemoryStorageAdapter, type DeliveryResult } from '../../src/index';
import { clientFixture } from './helpers/client-fixture';

const QUIET = { heartbeatInterval: 60_000, heartbeatTimeout: 30_000 };

/**
 * A message sent at once (connected, window free: the normal case) keeps its own
 * `timeout` and `maxRetries`, with and without persistence.
 */
describe('ReliableWebSocketClient per-message timeout and maxRetries, sent at once', () => {
  const modes: Array<[string, () => { enablePersistence: boolean; storage?: MemoryStorageAdapter }]> = [
    ['without persistence', () => ({ enablePersistence: false })],
    ['with persistence', () => ({ enablePersistence: true, storage: new MemoryStorageAdapter() })],
  ];

  it.each(modes)(
    '%s: { timeout: 100, maxRetries: 0 } ends ACK_TIMEOUT 100 ms after its one send',
    async (_, mode) => {
      const f = clientFixture({ ...QUIET, ...mode(), messageTimeout: 10_000, maxRetries: 5 });
      f.server.behaviour.ackData = false;
      const connected = f.client.connect();
      await f.clock.advanceTo(50);
      await connected;
      let settled: [number, DeliveryResult] | undefined;
      void f.client
        .sendWithAcknowledgement({ type: 'ORDER', payload: 1 }, { timeout: 100, maxRetries: 0 })
        .then((r) => (settled = [f.clock.now(), r]));
      await f.clock.advanceTo(2000);

      expect(f.server.dataFrames().map((s) => s.at)).toEqual([50]);
      expect(settled![0]).toBe(150);
      expect(settled![1]).toMatchObject({ acknowledged: false, attempts: 1 });
      expect(settled![1].error).toBeInstanceOf(AckTimeoutError);
      expect(settled![1].error).toMatchObject({ code: 'ACK_TIMEOUT', timeoutMs: 100 });
      expect(f.timeline('messageFailed', (d) => d.attempts)).toEqual([[150, 1]]);
      await f.close();
    },
  );

  it.each(modes)(
    '%s: { timeout: 200, maxRetries: 1 } resends once after 200 ms, then fails 200 ms later',
    async (_, mode) => {
      const f = clientFixture({ ...QUIET, ...mode(), messageTimeout: 10_000, maxRetries: 5 });
      f.server.behaviour.ackData = false;
      const connected = f.client.connect();
      await f.clock.advanceTo(0);
      await connected;
      let settled: [number, DeliveryResult] | undefined;
      void f.client
        .sendWithAcknowledgement({ type: 'ORDER', payload: 1 }, { timeout: 200, maxRetries: 1 })
        .then((r) => (settled = [f.clock.now(), r]));
      await f.clock.advanceTo(5000);

      const sends = f.server.dataFrames();
      expect(sends.map((s) => s.at)).toEqual([0, 200]);
      expect(sends[1]!.id).toBe(sends[0]!.id);
      expect(settled![0]).toBe(400);
      expect(settled![1]).toMatchObject({ acknowledged: false, attempts: 2 });
      await f.close();
    },
  );

  it('the defaults still apply to a message sent at once without its own options', async () => {
    const f = clientFixture({ ...QUIET, messageTimeout: 300, maxRetries: 0 });
    f.server.behaviour.ackData = false;
    const connected = f.client.connect();
    await f.clock.advanceTo(0);
    await connected;
    let settledAt: number | undefined;
    void f.client
      .sendWithAcknowledgement({ type: 'ORDER', payload: 1 })
      .then(() => (settledAt = f.clock.now()));
    await f.clock.advanceTo(2000);
    expect(f.server.dataFrames().map((s) => s.at)).toEqual([0]);
    expect(settledAt).toBe(300);
    await f.close();
  });
});
