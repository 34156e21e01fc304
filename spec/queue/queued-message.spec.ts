import { MessagePriority } from '../../src/protocol/enums';
import { createMessageId, isMessagePriority, isQueuedMessage } from '../../src/queue/queued-message';

describe('createMessageId', () => {
  it('gives 100k distinct ids with one per-process prefix', () => {
    const ids = Array.from({ length: 100_000 }, () => createMessageId());
    expect(new Set(ids).size).toBe(ids.length);
    const prefixes = new Set(ids.map((id) => id.split('-')[0]));
    expect(prefixes.size).toBe(1);
    expect(ids[0]).toMatch(/^[0-9a-z]{16}-[0-9a-z]+$/);
  });

  it('draws a fresh random prefix per process (module instance)', () => {
    const prefixes = new Set<string>();
    for (let i = 0; i < 5; i++) {
      jest.isolateModules(() => {
        type Module = typeof import('../../src/queue/queued-message');
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const fresh = require('../../src/queue/queued-message') as Module;
        const id = fresh.createMessageId();
        expect(id.endsWith('-0')).toBe(true);
        prefixes.add(id.split('-')[0]);
      });
    }
    expect(prefixes.size).toBe(5);
  });
});

describe('isMessagePriority', () => {
  it('accepts the four enum values and nothing else', () => {
    for (const p of [
      MessagePriority.LOW,
      MessagePriority.NORMAL,
      MessagePriority.HIGH,
      MessagePriority.CRITICAL,
    ]) {
      expect(isMessagePriority(p)).toBe(true);
    }
    for (const bad of [-1, 4, 1.5, '1', 'HIGH', null, undefined, NaN])
      expect(isMessagePriority(bad)).toBe(false);
  });
});

describe('isQueuedMessage', () => {
  const good = { id: 'a', type: 'T', payload: 1, priority: 1, createdAt: 0, expiresAt: 10, seq: 3 };

  it('accepts a well-formed record', () => {
    expect(isQueuedMessage(good)).toBe(true);
    expect(isQueuedMessage({ ...good, payload: undefined })).toBe(true);
  });

  it.each([
    ['id', ''],
    ['type', 5],
    ['priority', 9],
    ['createdAt', 'x'],
    ['expiresAt', null],
    ['seq', 1.5],
  ])('rejects a bad %s', (field, value) => {
    expect(isQueuedMessage({ ...good, [field]: value })).toBe(false);
  });

  it('rejects non-objects', () => {
    expect(isQueuedMessage(null)).toBe(false);
    expect(isQueuedMessage('x')).toBe(false);
  });
});
