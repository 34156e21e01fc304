import { StorageError } from '../../src/protocol/errors';
import { withStorageFallback } from '../../src/client/storage-fallback';
import type { StorageAdapter } from '../../src/storage/storage-adapter';

/** A durable adapter that works until `fail` is set, then rejects every call with it. */
function flakyStorage(): StorageAdapter & {
  fail: Error | undefined;
  data: Map<string, unknown>;
  removed: string[];
} {
  const data = new Map<string, unknown>();
  const removed: string[] = [];
  const store = {
    durable: true,
    fail: undefined as Error | undefined,
    data,
    removed,
    async getItem<T>(key: string) {
      if (store.fail) throw store.fail;
      return (data.get(key) as T) ?? null;
    },
    async setItem<T>(key: string, value: T) {
      if (store.fail) throw store.fail;
      data.set(key, value);
    },
    async removeItem(key: string) {
      removed.push(key);
      if (store.fail) throw store.fail;
      data.delete(key);
    },
    async keys() {
      if (store.fail) throw store.fail;
      return [...data.keys()];
    },
  };
  return store;
}

describe('withStorageFallback', () => {
  it("'memory': the first outage switches to memory for good, reported once, durable false", async () => {
    const primary = flakyStorage();
    const reported: StorageError[] = [];
    const storage = withStorageFallback(primary, 'memory', (e) => reported.push(e));
    await storage.setItem('a', 1);
    expect(storage.durable).toBe(true);
    primary.fail = new StorageError('QUOTA_EXCEEDED', 'full');
    await storage.setItem('b', 2);
    await storage.setItem('c', 3);
    expect(await storage.getItem('b')).toBe(2);
    expect(storage.durable).toBe(false);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({ code: 'STORAGE_QUOTA_EXCEEDED', reason: 'QUOTA_EXCEEDED' });
    expect(reported[0]!.message).toMatch(/Falling back to memory/);
    // A record written before the switch is forgotten in durable storage too, best effort.
    primary.fail = undefined;
    await storage.removeItem('a');
    expect(primary.data.has('a')).toBe(false);
    expect((await storage.keys()).sort()).toEqual(['b', 'c']);
  });

  it("'none': outages reach the caller; UNAVAILABLE makes durable false, QUOTA_EXCEEDED does not", async () => {
    const primary = flakyStorage();
    const storage = withStorageFallback(primary, 'none', () => {
      throw new Error('must not fall back');
    });
    primary.fail = new StorageError('QUOTA_EXCEEDED', 'full');
    await expect(storage.setItem('a', 1)).rejects.toMatchObject({ reason: 'QUOTA_EXCEEDED' });
    expect(storage.durable).toBe(true);
    primary.fail = new StorageError('UNAVAILABLE', 'blocked');
    await expect(storage.keys()).rejects.toMatchObject({ reason: 'UNAVAILABLE' });
    expect(storage.durable).toBe(false);
  });

  it('other failures (IO, corrupt) pass through without falling back', async () => {
    const primary = flakyStorage();
    const reported: StorageError[] = [];
    const storage = withStorageFallback(primary, 'memory', (e) => reported.push(e));
    primary.fail = new StorageError('IO', 'disk error');
    await expect(storage.setItem('a', 1)).rejects.toMatchObject({ reason: 'IO' });
    expect(reported).toEqual([]);
    expect(storage.durable).toBe(true);
  });
});
