// fake-indexeddb must define the IndexedDB globals before localforage loads:
// localforage looks for `indexedDB` once, when its module is evaluated.
import 'fake-indexeddb/auto';
import localforage from 'localforage';
import { StorageError } from '../../src/protocol/errors';
import { MessageQueue } from '../../src/queue/message-queue';
import { BrowserStorageAdapter } from '../../src/storage/browser-storage-adapter';

let n = 0;
const fresh = (): string => `db-${++n}`;

describe('BrowserStorageAdapter', () => {
  it('uses the IndexedDB driver when IndexedDB exists', async () => {
    const storage = new BrowserStorageAdapter({ name: fresh() });
    expect(await storage.driverName()).toBe(localforage.INDEXEDDB);
    expect(storage.durable).toBe(true);
  });

  it('really writes to IndexedDB (read back through the raw API)', async () => {
    const name = fresh();
    const storage = new BrowserStorageAdapter({ name, storeName: 'items' });
    await storage.setItem('k', { a: [1, 2] });
    const raw = await new Promise<unknown>((resolve, reject) => {
      const req = indexedDB.open(name);
      req.onerror = () => reject(req.error);
      req.onsuccess = () => {
        const get = req.result.transaction('items').objectStore('items').get('k');
        get.onsuccess = () => {
          req.result.close();
          resolve(get.result);
        };
        get.onerror = () => reject(get.error);
      };
    });
    expect(raw).toEqual({ a: [1, 2] });
  });

  it('round-trips values, lists keys, removes', async () => {
    const storage = new BrowserStorageAdapter({ name: fresh() });
    expect(await storage.getItem('missing')).toBeNull();
    await storage.setItem('a', { x: 1, nested: { s: 'é' } });
    await storage.setItem('b', [1, 'two', null]);
    await storage.setItem('a', { x: 2 });
    expect(await storage.getItem('a')).toEqual({ x: 2 });
    expect(await storage.getItem('b')).toEqual([1, 'two', null]);
    expect((await storage.keys()).sort()).toEqual(['a', 'b']);
    await storage.removeItem('a');
    await storage.removeItem('never');
    expect(await storage.keys()).toEqual(['b']);
  });

  it('a second adapter on the same name sees what the first stored; another name does not', async () => {
    const name = fresh();
    await new BrowserStorageAdapter({ name }).setItem('k', 'v');
    expect(await new BrowserStorageAdapter({ name }).getItem('k')).toBe('v');
    expect(await new BrowserStorageAdapter({ name, storeName: 'other' }).getItem('k')).toBeNull();
    expect(await new BrowserStorageAdapter({ name: fresh() }).getItem('k')).toBeNull();
  });

  it('carries a MessageQueue across instances (page reload)', async () => {
    const name = fresh();
    const first = new MessageQueue({ storageKey: 'q' }, new BrowserStorageAdapter({ name }));
    await first.enqueue({ type: 'A', payload: { n: 1 } });
    await first.enqueue({ type: 'B' }, { priority: 3 });
    await first.setMeta('clientId', 'c-1');
    const second = new MessageQueue({ storageKey: 'q' }, new BrowserStorageAdapter({ name }));
    await second.ready;
    expect([second.dequeue()?.type, second.dequeue()?.payload]).toEqual(['B', { n: 1 }]);
    expect(await second.getMeta('clientId')).toBe('c-1');
  });

  it('reports a store that cannot be used as StorageError UNAVAILABLE', async () => {
    // Node has no localStorage: asking for that driver alone finds nothing usable.
    const storage = new BrowserStorageAdapter({ name: fresh(), driver: localforage.LOCALSTORAGE });
    const error = await storage.setItem('k', 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ reason: 'UNAVAILABLE', code: 'STORAGE_ERROR' });
    await expect(storage.keys()).rejects.toMatchObject({ reason: 'UNAVAILABLE' });
  });

  describe('with a driver that throws', () => {
    const failures: Record<string, unknown> = {};
    beforeAll(async () => {
      const fail = (op: string) => async () => {
        throw failures[op];
      };
      await localforage.defineDriver({
        _driver: 'failingDriver',
        _support: true,
        _initStorage: () => undefined,
        getItem: fail('getItem'),
        setItem: fail('setItem'),
        removeItem: fail('removeItem'),
        clear: fail('clear'),
        length: fail('length'),
        key: fail('key'),
        keys: fail('keys'),
        iterate: fail('iterate'),
      } as unknown as LocalForageDriver);
    });

    it('maps QuotaExceededError to StorageError QUOTA_EXCEEDED', async () => {
      failures.setItem = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      const storage = new BrowserStorageAdapter({ name: fresh(), driver: 'failingDriver' });
      expect(await storage.driverName()).toBe('failingDriver');
      const error = await storage.setItem('k', 'v').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ reason: 'QUOTA_EXCEEDED', code: 'STORAGE_QUOTA_EXCEEDED' });
      expect((error as StorageError).cause).toBe(failures.setItem);
    });

    it('maps Firefox quota errors too', async () => {
      failures.setItem = Object.assign(new Error('quota'), { name: 'NS_ERROR_DOM_QUOTA_REACHED' });
      const storage = new BrowserStorageAdapter({ name: fresh(), driver: 'failingDriver' });
      await expect(storage.setItem('k', 'v')).rejects.toMatchObject({ reason: 'QUOTA_EXCEEDED' });
    });

    it('maps any other failure to StorageError IO with the cause', async () => {
      failures.getItem = new Error('boom');
      failures.keys = new Error('boom');
      const storage = new BrowserStorageAdapter({ name: fresh(), driver: 'failingDriver' });
      await expect(storage.getItem('k')).rejects.toMatchObject({ reason: 'IO', cause: failures.getItem });
      await expect(storage.keys()).rejects.toBeInstanceOf(StorageError);
    });
  });

  it('rejects every call after close', async () => {
    const storage = new BrowserStorageAdapter({ name: fresh() });
    await storage.setItem('k', 1);
    await storage.close();
    await expect(storage.getItem('k')).rejects.toMatchObject({ reason: 'UNAVAILABLE' });
  });

  it.each([{ name: '' }, { storeName: '' }])('throws a TypeError for %p', (options) => {
    expect(() => new BrowserStorageAdapter(options)).toThrow(TypeError);
  });
});
