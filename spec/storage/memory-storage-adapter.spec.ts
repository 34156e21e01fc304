import { StorageError } from '../../src/protocol/errors';
import { MemoryStorageAdapter } from '../../src/storage/memory-storage-adapter';

describe('MemoryStorageAdapter', () => {
  it('round-trips values, lists keys, removes', async () => {
    const storage = new MemoryStorageAdapter();
    expect(storage.durable).toBe(false);
    expect(await storage.getItem('missing')).toBeNull();
    await storage.setItem('a', { x: 1 });
    await storage.setItem('b', [1, 'two']);
    await storage.setItem('a', { x: 2 });
    expect(await storage.getItem('a')).toEqual({ x: 2 });
    expect((await storage.keys()).sort()).toEqual(['a', 'b']);
    await storage.removeItem('a');
    await storage.removeItem('never');
    expect(await storage.keys()).toEqual(['b']);
  });

  it('stores a copy: mutating the value given or the value read does not change what is stored', async () => {
    const storage = new MemoryStorageAdapter();
    const value = { n: 1, list: [1] };
    await storage.setItem('k', value);
    value.n = 2;
    value.list.push(2);
    const read = await storage.getItem<{ n: number; list: number[] }>('k');
    expect(read).toEqual({ n: 1, list: [1] });
    read!.n = 3;
    expect(await storage.getItem('k')).toEqual({ n: 1, list: [1] });
  });

  it('rejects a value that cannot be cloned with a StorageError', async () => {
    const storage = new MemoryStorageAdapter();
    await expect(storage.setItem('k', { f: () => 1 })).rejects.toBeInstanceOf(StorageError);
    expect(await storage.keys()).toEqual([]);
  });

  it('rejects every call after close', async () => {
    const storage = new MemoryStorageAdapter();
    await storage.close();
    await expect(storage.getItem('k')).rejects.toMatchObject({ reason: 'UNAVAILABLE' });
    await expect(storage.setItem('k', 1)).rejects.toBeInstanceOf(StorageError);
  });
});
