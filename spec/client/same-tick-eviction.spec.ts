import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileStorageAdapter,
  MemoryStorageAdapter,
  MessagePriority,
  MessageQueue,
  QueueFullError,
  ReliableWebSocketClient,
  type ClientEvent,
  type DeliveryResult,
  type StorageAdapter,
} from '../../src/node';

const { LOW, CRITICAL } = MessagePriority;

/** Nothing listens on port 9: the client stays disconnected and everything stays queued. */
const UNREACHABLE = 'ws://127.0.0.1:9/';

describe('a same-tick burst of LOW x3 then CRITICAL into a queue of 3', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  const storages: Array<[string, () => StorageAdapter | undefined, boolean]> = [
    ['without persistence', () => undefined, false],
    ['with persistence (memory adapter)', () => new MemoryStorageAdapter(), true],
    [
      'with persistence (file journal)',
      () => {
        const dir = mkdtempSync(join(tmpdir(), 'rxws-burst-'));
        dirs.push(dir);
        return new FileStorageAdapter(dir);
      },
      true,
    ],
  ];

  it.each(storages)(
    'client, %s: evicts the oldest LOW, settles its promise, and reports messageQueued before its messageFailed',
    async (_, makeStorage, enablePersistence) => {
      const storage = makeStorage();
      const client = new ReliableWebSocketClient(UNREACHABLE, {
        queueSize: 3,
        enablePersistence,
        ...(storage ? { storage } : {}),
      });
      const events: ClientEvent[] = [];
      client.events$.subscribe((e) => events.push(e));
      try {
        const lows = [1, 2, 3].map((n) =>
          client.sendWithAcknowledgement({ type: 'T', payload: `low-${n}` }, { priority: LOW }),
        );
        const critical = client.send({ type: 'T', payload: 'critical' }, { priority: CRITICAL });
        await expect(critical).resolves.toMatchObject({ messageId: expect.any(String) });
        const first = (await Promise.race([
          lows[0]!,
          new Promise((resolve) => setTimeout(() => resolve('pending'), 1500)),
        ])) as DeliveryResult;
        expect(first).toMatchObject({ acknowledged: false });
        expect(first.error).toBeInstanceOf(QueueFullError);
        expect((first.error as QueueFullError).evicted).toBe(true);

        const evictedId = first.messageId;
        const order = events
          .filter((e) => 'messageId' in e.detail && e.detail.messageId === evictedId)
          .map((e) => e.type);
        expect(order).toEqual(['messageQueued', 'messageFailed']);
        expect(client.getStats()).toMatchObject({ queueSize: 3, messagesEvicted: 1 });
      } finally {
        await client.close();
        await storage?.close?.();
      }
    },
  );

  it.each(storages)(
    'MessageQueue, %s: the CRITICAL one evicts a LOW one still being persisted',
    async (_, makeStorage, enablePersistence) => {
      const storage = makeStorage();
      const queue = new MessageQueue({ maxSize: 3, enablePersistence }, storage);
      const evicted: string[] = [];
      queue.evicted$.subscribe(({ message }) => evicted.push(message.payload as string));
      try {
        const lows = [1, 2, 3].map((n) =>
          queue.enqueue({ type: 'T', payload: `low-${n}` }, { priority: LOW }),
        );
        const critical = queue.enqueue({ type: 'T', payload: 'critical' }, { priority: CRITICAL });
        await expect(critical).resolves.toMatchObject({ payload: 'critical' });
        await Promise.all(lows); // each was accepted; low-1 was then evicted
        expect(evicted).toEqual(['low-1']);
        expect(queue.size).toBe(3);
        expect([queue.dequeue(), queue.dequeue(), queue.dequeue()].map((m) => m?.payload)).toEqual([
          'critical',
          'low-2',
          'low-3',
        ]);
      } finally {
        await queue.close();
        await storage?.close?.();
      }
    },
  );
});
