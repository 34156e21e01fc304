import type { SchedulerLike } from 'rxjs';
import { MessagePriority } from '../../src/protocol/enums';
import { QueueFullError, StorageError, ValidationError } from '../../src/protocol/errors';
import { MessageQueue } from '../../src/queue/message-queue';
import type { EvictedMessage } from '../../src/queue/message-queue';
import type { QueuedMessage } from '../../src/queue/queued-message';
import { MemoryStorageAdapter } from '../../src/storage/memory-storage-adapter';

const { LOW, NORMAL, HIGH, CRITICAL } = MessagePriority;

/** A clock the test moves by hand; the queue only reads `now()`. */
function manualClock(start = 1000): SchedulerLike & { t: number } {
  const clock = {
    t: start,
    now: () => clock.t,
    schedule: () => {
      throw new Error('the queue must not schedule');
    },
  };
  return clock as unknown as SchedulerLike & { t: number };
}

/** Memory storage whose operations can be made to fail, and which counts calls. */
class FlakyStorage extends MemoryStorageAdapter {
  failSet: unknown = undefined;
  failRemove: unknown = undefined;
  failKeys: unknown = undefined;
  sets = 0;
  removes = 0;
  override async setItem<T>(key: string, value: T): Promise<void> {
    this.sets++;
    if (this.failSet !== undefined) throw this.failSet;
    return super.setItem(key, value);
  }
  override async removeItem(key: string): Promise<void> {
    this.removes++;
    if (this.failRemove !== undefined) throw this.failRemove;
    return super.removeItem(key);
  }
  override async keys(): Promise<string[]> {
    if (this.failKeys !== undefined) throw this.failKeys;
    return super.keys();
  }
}

const config = {
  maxSize: 100,
  enablePersistence: true,
  storageKey: 'q',
  defaultPriority: NORMAL,
  defaultTTL: 60_000,
};

function types(messages: (QueuedMessage | undefined)[]): (string | undefined)[] {
  return messages.map((m) => m?.type);
}

function drainTypes(queue: MessageQueue): string[] {
  const out: string[] = [];
  for (let m = queue.dequeue(); m; m = queue.dequeue()) out.push(m.type);
  return out;
}

describe('MessageQueue', () => {
  describe('config', () => {
    it.each([
      [{ maxSize: 0 }, 'maxSize'],
      [{ maxSize: 1.5 }, 'maxSize'],
      [{ storageKey: '' }, 'storageKey'],
      [{ defaultPriority: 7 }, 'defaultPriority'],
      [{ defaultTTL: -1 }, 'defaultTTL'],
      [{ defaultTTL: Infinity }, 'defaultTTL'],
      [{ enablePersistence: 'yes' }, 'enablePersistence'],
    ])('throws a TypeError naming the option for %p', (bad, name) => {
      expect(() => new MessageQueue({ ...config, ...(bad as object) })).toThrow(TypeError);
      expect(() => new MessageQueue({ ...config, ...(bad as object) })).toThrow(name);
    });

    it('fills the seed defaults', () => {
      expect(new MessageQueue().config).toEqual({
        maxSize: 1000,
        enablePersistence: true,
        storageKey: 'reliable_ws_client',
        defaultPriority: NORMAL,
        defaultTTL: 300000,
      });
    });
  });

  describe('enqueue', () => {
    it.each([
      [null, undefined, 'message'],
      [{ type: '' }, undefined, 'type'],
      [{ type: 42 }, undefined, 'type'],
      [{ type: 'A' }, { priority: 4 }, 'priority'],
      [{ type: 'A' }, { priority: 'HIGH' }, 'priority'],
      [{ type: 'A' }, { ttl: 0 }, 'ttl'],
      [{ type: 'A' }, { ttl: NaN }, 'ttl'],
      [{ type: 'A' }, { ttl: Infinity }, 'ttl'],
      [{ type: 'A' }, { id: '' }, 'id'],
    ])('rejects %p %p with a ValidationError on %s and queues nothing', async (message, options, field) => {
      const storage = new FlakyStorage();
      const queue = new MessageQueue(config, storage);
      const error = await queue.enqueue(message as any, options as any).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
      expect(queue.size).toBe(0);
      expect(storage.sets).toBe(0);
    });

    it('fills id, priority, timestamps and seq', async () => {
      const clock = manualClock(5000);
      const queue = new MessageQueue(config, undefined, { scheduler: clock });
      const a = await queue.enqueue({ type: 'A', payload: { x: 1 } });
      const b = await queue.enqueue({ type: 'B' }, { priority: HIGH, ttl: 10, id: 'my-id' });
      expect(a).toEqual({
        id: expect.any(String),
        type: 'A',
        payload: { x: 1 },
        priority: NORMAL,
        createdAt: 5000,
        expiresAt: 65000,
        seq: 0,
      });
      expect(b).toMatchObject({ id: 'my-id', priority: HIGH, expiresAt: 5010, seq: 1 });
    });

    it('refuses an id that is already held', async () => {
      const queue = new MessageQueue(config);
      await queue.enqueue({ type: 'A' }, { id: 'x' });
      await expect(queue.enqueue({ type: 'B' }, { id: 'x' })).rejects.toBeInstanceOf(ValidationError);
      queue.lease();
      await expect(queue.enqueue({ type: 'B' }, { id: 'x' })).rejects.toBeInstanceOf(ValidationError);
      expect(queue.size).toBe(1);
    });

    it('resolves only after storage.setItem resolved, and only then hands the message out', async () => {
      const storage = new MemoryStorageAdapter();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const original = storage.setItem.bind(storage);
      storage.setItem = async (key, value) => {
        await gate;
        return original(key, value);
      };
      const queue = new MessageQueue(config, storage);
      await queue.ready;
      let resolved = false;
      const accepted = queue.enqueue({ type: 'A' }).then((m) => ((resolved = true), m));
      await Promise.resolve();
      await Promise.resolve();
      expect(resolved).toBe(false);
      expect(queue.dequeue()).toBeUndefined();
      release();
      const m = await accepted;
      expect(await storage.getItem(`q:m:${m.id}`)).toEqual(m);
      expect(queue.dequeue()).toEqual(m);
    });

    it('without persistence the message is available as soon as enqueue returns', () => {
      const queue = new MessageQueue({ ...config, enablePersistence: false });
      void queue.enqueue({ type: 'A' });
      expect(queue.size).toBe(1);
      expect(queue.dequeue()?.type).toBe('A');
    });
  });

  describe('order', () => {
    it('dequeues the highest priority first, FIFO within a priority', async () => {
      const queue = new MessageQueue(config);
      const plan: [string, MessagePriority][] = [
        ['n1', NORMAL],
        ['l1', LOW],
        ['c1', CRITICAL],
        ['n2', NORMAL],
        ['h1', HIGH],
        ['c2', CRITICAL],
        ['l2', LOW],
      ];
      for (const [type, priority] of plan) await queue.enqueue({ type }, { priority });
      expect(queue.peek()?.type).toBe('c1');
      expect(drainTypes(queue)).toEqual(['c1', 'c2', 'h1', 'n1', 'n2', 'l1', 'l2']);
      expect(queue.dequeue()).toBeUndefined();
    });
  });

  describe('persistence', () => {
    it('a second queue on the same storage and key restores in original order and continues the seq', async () => {
      const storage = new MemoryStorageAdapter();
      const first = new MessageQueue(config, storage);
      await first.enqueue({ type: 'n1' });
      await first.enqueue({ type: 'l1' }, { priority: LOW });
      await first.enqueue({ type: 'c1' }, { priority: CRITICAL });
      await first.enqueue({ type: 'n2' });
      await first.enqueue({ type: 'n3' });
      const gone = first.dequeue();
      expect(gone?.type).toBe('c1');
      await first.remove((await first.enqueue({ type: 'removed' })).id);
      await first.close();

      const second = new MessageQueue(config, storage);
      expect(second.size).toBe(0);
      await second.ready;
      expect(second.size).toBe(4);
      const next = await second.enqueue({ type: 'n4' });
      expect(next.seq).toBe(5); // n3, the largest restored seq, was 4
      expect(drainTypes(second)).toEqual(['n1', 'n2', 'n3', 'n4', 'l1']);
    });

    it('writes one key per message and never rewrites the others', async () => {
      const storage = new FlakyStorage();
      const queue = new MessageQueue(config, storage);
      const a = await queue.enqueue({ type: 'A' });
      const b = await queue.enqueue({ type: 'B' });
      expect((await storage.keys()).sort()).toEqual([`q:m:${a.id}`, `q:m:${b.id}`].sort());
      expect(storage.sets).toBe(2);
      queue.dequeue();
      await queue.close();
      expect(await storage.keys()).toEqual([`q:m:${b.id}`]);
      expect(storage.sets).toBe(2);
    });

    it('enqueues issued before ready wait for the restore and come after the restored ones', async () => {
      const storage = new MemoryStorageAdapter();
      const first = new MessageQueue(config, storage);
      await first.enqueue({ type: 'old' });
      const second = new MessageQueue(config, storage);
      const pending = [second.enqueue({ type: 'new1' }), second.enqueue({ type: 'new2' })];
      expect(second.size).toBe(0);
      await Promise.all(pending);
      expect(drainTypes(second)).toEqual(['old', 'new1', 'new2']);
    });

    it('keeps queues with different storage keys apart, even when one key extends the other', async () => {
      const storage = new MemoryStorageAdapter();
      const a = new MessageQueue({ ...config, storageKey: 'q' }, storage);
      const b = new MessageQueue({ ...config, storageKey: 'q:m' }, storage);
      await a.enqueue({ type: 'A' });
      await b.enqueue({ type: 'B' });
      const errors: StorageError[] = [];
      const a2 = new MessageQueue({ ...config, storageKey: 'q' }, storage);
      a2.errors$.subscribe((e) => errors.push(e));
      const b2 = new MessageQueue({ ...config, storageKey: 'q:m' }, storage);
      await Promise.all([a2.ready, b2.ready]);
      expect(drainTypes(a2)).toEqual(['A']);
      expect(drainTypes(b2)).toEqual(['B']);
      expect(errors).toEqual([]);
    });

    it('skips and reports a record that is not a message, leaving it in place', async () => {
      const storage = new MemoryStorageAdapter();
      await storage.setItem('q:m:junk', { hello: 'world' });
      const queue = new MessageQueue(config, storage);
      const errors: StorageError[] = [];
      queue.errors$.subscribe((e) => errors.push(e));
      await queue.ready;
      expect(queue.size).toBe(0);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ reason: 'CORRUPT' });
      expect(await storage.getItem('q:m:junk')).toEqual({ hello: 'world' });
    });

    it('with enablePersistence false writes nothing', async () => {
      const storage = new FlakyStorage();
      const queue = new MessageQueue({ ...config, enablePersistence: false }, storage);
      const m = await queue.enqueue({ type: 'A' });
      await queue.enqueue({ type: 'B' });
      queue.lease();
      queue.dequeue();
      await queue.settle(m.id);
      await queue.setMeta('clientId', 'c-1');
      await queue.clear();
      expect(storage.sets).toBe(0);
      expect(storage.removes).toBe(0);
      expect(await storage.keys()).toEqual([]);
      expect(await queue.getMeta('clientId')).toBe('c-1');
    });

    it('stores metadata under one key per queue, readable by a second queue', async () => {
      const storage = new MemoryStorageAdapter();
      const first = new MessageQueue(config, storage);
      expect(await first.getMeta('clientId')).toBeNull();
      await first.setMeta('clientId', 'client-7');
      await first.setMeta('other', { n: 1 });
      expect(await storage.keys()).toEqual(['q:meta']);
      const second = new MessageQueue(config, storage);
      expect(await second.getMeta('clientId')).toBe('client-7');
      expect(await second.getMeta<{ n: number }>('other')).toEqual({ n: 1 });
    });
  });

  describe('size rule', () => {
    it('rejects with QueueFullError when full of equal or higher priorities', async () => {
      const queue = new MessageQueue({ ...config, maxSize: 2 });
      await queue.enqueue({ type: 'A' }, { priority: HIGH });
      await queue.enqueue({ type: 'B' });
      const error = await queue.enqueue({ type: 'C' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QueueFullError);
      expect(error).toMatchObject({ maxSize: 2, evicted: false, code: 'QUEUE_FULL' });
      await expect(queue.enqueue({ type: 'D' }, { priority: LOW })).rejects.toBeInstanceOf(QueueFullError);
      expect(drainTypes(queue)).toEqual(['A', 'B']);
    });

    it('a higher priority evicts the lowest-priority oldest pending message, from memory and storage', async () => {
      const storage = new MemoryStorageAdapter();
      const queue = new MessageQueue({ ...config, maxSize: 4 }, storage);
      const evicted: EvictedMessage[] = [];
      queue.evicted$.subscribe((e) => evicted.push(e));
      await queue.enqueue({ type: 'n1' });
      const l1 = await queue.enqueue({ type: 'l1' }, { priority: LOW });
      await queue.enqueue({ type: 'l2' }, { priority: LOW });
      await queue.enqueue({ type: 'h1' }, { priority: HIGH });
      await queue.enqueue({ type: 'n2' });
      await queue.enqueue({ type: 'c1' }, { priority: CRITICAL });
      expect(evicted.map((e) => e.message.type)).toEqual(['l1', 'l2']);
      expect(evicted[0].error).toBeInstanceOf(QueueFullError);
      expect(evicted[0].error).toMatchObject({ maxSize: 4, messageId: l1.id, evicted: true });
      expect(queue.size).toBe(4);
      await queue.close();
      expect(await storage.getItem(`q:m:${l1.id}`)).toBeNull();
      expect(drainTypes(queue)).toEqual(['c1', 'h1', 'n1', 'n2']);
    });

    it('counts leased messages and never evicts them', async () => {
      const queue = new MessageQueue({ ...config, maxSize: 2 });
      await queue.enqueue({ type: 'l1' }, { priority: LOW });
      await queue.enqueue({ type: 'l2' }, { priority: LOW });
      queue.lease();
      queue.lease();
      expect(queue.size).toBe(2);
      expect(queue.pendingCount).toBe(0);
      expect(queue.leasedCount).toBe(2);
      await expect(queue.enqueue({ type: 'c' }, { priority: CRITICAL })).rejects.toBeInstanceOf(
        QueueFullError,
      );
      await queue.settle(queue.peek()?.id ?? 'none');
      expect(queue.size).toBe(2);
    });

    it('expired messages free their slot before anything is evicted or refused', async () => {
      const clock = manualClock();
      const queue = new MessageQueue({ ...config, maxSize: 2 }, undefined, { scheduler: clock });
      const expired: QueuedMessage[] = [];
      const evicted: EvictedMessage[] = [];
      queue.expired$.subscribe((m) => expired.push(m));
      queue.evicted$.subscribe((e) => evicted.push(e));
      await queue.enqueue({ type: 'short' }, { ttl: 10 });
      await queue.enqueue({ type: 'long' }, { priority: LOW });
      clock.t += 10;
      await queue.enqueue({ type: 'new' }, { priority: LOW });
      expect(types(expired)).toEqual(['short']);
      expect(evicted).toEqual([]);
      expect(drainTypes(queue)).toEqual(['long', 'new']);
    });

    it('a refused write keeps the victim in its place', async () => {
      const storage = new FlakyStorage();
      const queue = new MessageQueue({ ...config, maxSize: 2 }, storage);
      const evicted: EvictedMessage[] = [];
      queue.evicted$.subscribe((e) => evicted.push(e));
      await queue.enqueue({ type: 'l1' }, { priority: LOW });
      await queue.enqueue({ type: 'l2' }, { priority: LOW });
      storage.failSet = new Error('disk full');
      await expect(queue.enqueue({ type: 'c' }, { priority: CRITICAL })).rejects.toBeInstanceOf(StorageError);
      expect(evicted).toEqual([]);
      expect(queue.size).toBe(2);
      expect(drainTypes(queue)).toEqual(['l1', 'l2']);
    });

    it('admits no more than maxSize even when enqueues overlap their writes', async () => {
      const queue = new MessageQueue({ ...config, maxSize: 3 });
      await queue.ready;
      const results = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => queue.enqueue({ type: `m${i}` })));
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
        'rejected',
      ]);
      expect(queue.size).toBe(3);
    });
  });

  describe('TTL', () => {
    it('dequeue never hands out an expired message: it is removed and reported', async () => {
      const clock = manualClock();
      const storage = new MemoryStorageAdapter();
      const queue = new MessageQueue(config, storage, { scheduler: clock });
      const expired: QueuedMessage[] = [];
      queue.expired$.subscribe((m) => expired.push(m));
      const a = await queue.enqueue({ type: 'A' }, { ttl: 100, priority: HIGH });
      await queue.enqueue({ type: 'B' }, { ttl: 200 });
      clock.t += 99;
      expect(queue.peek()?.type).toBe('A');
      clock.t += 1;
      expect(queue.dequeue()?.type).toBe('B');
      expect(expired).toEqual([a]);
      expect(queue.size).toBe(0);
      await queue.close();
      expect(await storage.keys()).toEqual([]);
    });

    it('lease skips expired messages too', async () => {
      const clock = manualClock();
      const queue = new MessageQueue(config, undefined, { scheduler: clock });
      await queue.enqueue({ type: 'A' }, { ttl: 5 });
      clock.t += 5;
      expect(queue.lease()).toBeUndefined();
      expect(queue.size).toBe(0);
    });

    it('removeExpired removes, reports and returns exactly the expired pending messages', async () => {
      const clock = manualClock();
      const queue = new MessageQueue(config, undefined, { scheduler: clock });
      const expired: QueuedMessage[] = [];
      queue.expired$.subscribe((m) => expired.push(m));
      await queue.enqueue({ type: 'x1' }, { ttl: 10 });
      await queue.enqueue({ type: 'keep' }, { ttl: 11 });
      await queue.enqueue({ type: 'x2' }, { ttl: 10, priority: CRITICAL });
      clock.t += 10;
      const removed = queue.removeExpired();
      expect(types(removed)).toEqual(['x2', 'x1']);
      expect(expired).toEqual(removed);
      expect(queue.removeExpired()).toEqual([]);
      expect(drainTypes(queue)).toEqual(['keep']);
    });
  });

  describe('nextExpiry and durable', () => {
    it('nextExpiry is the earliest expiresAt among pending messages', async () => {
      const clock = manualClock(0);
      const queue = new MessageQueue(config, undefined, { scheduler: clock });
      expect(queue.nextExpiry()).toBeUndefined();
      await queue.enqueue({ type: 'A' }, { ttl: 50, priority: CRITICAL });
      await queue.enqueue({ type: 'B' }, { ttl: 20, priority: LOW });
      await queue.enqueue({ type: 'C' }, { ttl: 30 });
      expect(queue.nextExpiry()).toBe(20);
      queue.lease(); // A
      expect(queue.nextExpiry()).toBe(20);
      clock.t = 20;
      queue.removeExpired();
      expect(queue.nextExpiry()).toBe(30);
    });

    it('durable needs persistence on and a durable adapter', () => {
      const durableStorage = Object.assign(new MemoryStorageAdapter(), { durable: true });
      expect(new MessageQueue(config).durable).toBe(false);
      expect(new MessageQueue(config, durableStorage).durable).toBe(true);
      expect(new MessageQueue({ ...config, enablePersistence: false }, durableStorage).durable).toBe(false);
    });
  });

  describe('lease and settle', () => {
    it('a leased message stays persisted until settled', async () => {
      const storage = new MemoryStorageAdapter();
      const queue = new MessageQueue(config, storage);
      await queue.enqueue({ type: 'A' });
      await queue.enqueue({ type: 'B' });
      const leased = queue.lease()!;
      expect(leased.type).toBe('A');
      expect(queue.size).toBe(2);
      expect(queue.peek()?.type).toBe('B');

      const restored = new MessageQueue(config, storage);
      await restored.ready;
      expect(drainTypes(restored)).toEqual(['A', 'B']);

      await queue.settle(leased.id);
      expect(queue.size).toBe(1);
      expect(await storage.getItem(`q:m:${leased.id}`)).toBeNull();
      await expect(queue.settle(leased.id)).resolves.toBeUndefined();
    });

    it('remove(id) works on pending and leased messages and reports whether it found one', async () => {
      const storage = new MemoryStorageAdapter();
      const queue = new MessageQueue(config, storage);
      const a = await queue.enqueue({ type: 'A' });
      const b = await queue.enqueue({ type: 'B' });
      queue.lease();
      expect(await queue.remove(a.id)).toBe(true);
      expect(await queue.remove(b.id)).toBe(true);
      expect(await queue.remove(b.id)).toBe(false);
      expect(queue.size).toBe(0);
      expect(await storage.keys()).toEqual([]);
    });

    it('clear removes everything, in memory and storage', async () => {
      const storage = new MemoryStorageAdapter();
      const queue = new MessageQueue(config, storage);
      await queue.setMeta('clientId', 'x');
      for (const type of ['a', 'b', 'c']) await queue.enqueue({ type });
      queue.lease();
      await queue.clear();
      expect(queue.size).toBe(0);
      expect(await storage.keys()).toEqual(['q:meta']);
    });
  });

  describe('size$', () => {
    it('emits the current size, then each change', async () => {
      const queue = new MessageQueue(config);
      const sizes: number[] = [];
      queue.size$.subscribe((n) => sizes.push(n));
      const a = await queue.enqueue({ type: 'A' });
      await queue.enqueue({ type: 'B' });
      queue.lease();
      await queue.settle(a.id);
      queue.dequeue();
      expect(sizes).toEqual([0, 1, 2, 1, 0]);
    });
  });

  describe('storage failures', () => {
    it('enqueue rejects with a StorageError wrapping the cause and queues nothing', async () => {
      const storage = new FlakyStorage();
      const queue = new MessageQueue(config, storage);
      const cause = new Error('EIO');
      storage.failSet = cause;
      const error = await queue.enqueue({ type: 'A' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as StorageError).cause).toBe(cause);
      expect(queue.size).toBe(0);
      expect(queue.dequeue()).toBeUndefined();
    });

    it('passes a StorageError from the adapter through as is', async () => {
      const storage = new FlakyStorage();
      const queue = new MessageQueue(config, storage);
      const quota = new StorageError('QUOTA_EXCEEDED', 'full');
      storage.failSet = quota;
      await expect(queue.enqueue({ type: 'A' })).rejects.toBe(quota);
    });

    it('reports a failed background removal on errors$', async () => {
      const storage = new FlakyStorage();
      const queue = new MessageQueue(config, storage);
      const errors: StorageError[] = [];
      queue.errors$.subscribe((e) => errors.push(e));
      await queue.enqueue({ type: 'A' });
      storage.failRemove = new Error('EIO');
      expect(queue.dequeue()?.type).toBe('A');
      await queue.close();
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(StorageError);
    });

    it('settle rejects with a StorageError when the removal fails', async () => {
      const storage = new FlakyStorage();
      const queue = new MessageQueue(config, storage);
      const m = await queue.enqueue({ type: 'A' });
      queue.lease();
      storage.failRemove = new Error('EIO');
      await expect(queue.settle(m.id)).rejects.toBeInstanceOf(StorageError);
    });

    it('a failed restore rejects ready and every enqueue, and is reported', async () => {
      const storage = new FlakyStorage();
      storage.failKeys = new Error('gone');
      const queue = new MessageQueue(config, storage);
      const errors: StorageError[] = [];
      queue.errors$.subscribe((e) => errors.push(e));
      await expect(queue.ready).rejects.toBeInstanceOf(StorageError);
      await expect(queue.enqueue({ type: 'A' })).rejects.toBeInstanceOf(StorageError);
      expect(errors).toHaveLength(1);
    });

    it('enqueue after close rejects', async () => {
      const queue = new MessageQueue(config);
      await queue.close();
      await expect(queue.enqueue({ type: 'A' })).rejects.toBeInstanceOf(StorageError);
    });
  });
});
