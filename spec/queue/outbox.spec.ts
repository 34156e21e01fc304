import { MessagePriority } from '../../src/protocol/enums';
import { MessageQueue } from '../../src/queue/message-queue';
import { Outbox } from '../../src/queue/outbox';

const config = {
  maxSize: 100_000,
  enablePersistence: false,
  storageKey: 'o',
  defaultPriority: MessagePriority.NORMAL,
  defaultTTL: 60_000,
};

function fill(queue: MessageQueue, n: number): void {
  for (let i = 0; i < n; i++) void queue.enqueue({ type: `m${i}` });
}

describe('Outbox', () => {
  it.each([0, -1, 1.5, NaN, undefined])('throws a TypeError naming maxInFlight for %p', (maxInFlight) => {
    expect(() => new Outbox(new MessageQueue(config), { maxInFlight } as any)).toThrow(/maxInFlight/);
  });

  it('leases nothing while nobody subscribes, then drains on the first subscription', () => {
    const queue = new MessageQueue(config);
    const outbox = new Outbox(queue, { maxInFlight: 10 });
    outbox.setGate(true);
    fill(queue, 3);
    expect(queue.leasedCount).toBe(0);
    const seen: string[] = [];
    outbox.drain$.subscribe((m) => seen.push(m.type));
    expect(seen).toEqual(['m0', 'm1', 'm2']);
    expect(outbox.inFlight).toBe(3);
    expect(queue.leasedCount).toBe(3);
  });

  it('does not recurse when the subscriber settles synchronously inside the emission', () => {
    const queue = new MessageQueue(config);
    const outbox = new Outbox(queue, { maxInFlight: 1 });
    const n = 50_000;
    fill(queue, n);
    let count = 0;
    let last = -1;
    let ordered = true;
    outbox.drain$.subscribe((m) => {
      const i = Number(m.type.slice(1));
      ordered &&= i === last + 1;
      last = i;
      count++;
      void outbox.settle(m.id);
    });
    outbox.setGate(true);
    expect(count).toBe(n);
    expect(ordered).toBe(true);
    expect(queue.size).toBe(0);
    expect(outbox.inFlight).toBe(0);
  });

  it('closing the gate inside an emission stops the drain at once', () => {
    const queue = new MessageQueue(config);
    const outbox = new Outbox(queue, { maxInFlight: 10 });
    fill(queue, 5);
    const seen: string[] = [];
    outbox.drain$.subscribe((m) => {
      seen.push(m.type);
      if (seen.length === 2) outbox.setGate(false);
    });
    outbox.setGate(true);
    expect(seen).toEqual(['m0', 'm1']);
    expect(queue.pendingCount).toBe(3);
    expect(outbox.isOpen).toBe(false);
  });

  it('unsubscribing stops leasing', () => {
    const queue = new MessageQueue(config);
    const outbox = new Outbox(queue, { maxInFlight: 10 });
    outbox.setGate(true);
    const sub = outbox.drain$.subscribe(() => sub?.unsubscribe());
    fill(queue, 4);
    expect(queue.leasedCount).toBe(1);
    expect(queue.pendingCount).toBe(3);
  });

  it('dispose completes drain$ and stops draining', () => {
    const queue = new MessageQueue(config);
    const outbox = new Outbox(queue, { maxInFlight: 10 });
    let completed = false;
    const seen: string[] = [];
    outbox.drain$.subscribe({ next: (m) => seen.push(m.type), complete: () => (completed = true) });
    outbox.dispose();
    outbox.setGate(true);
    fill(queue, 2);
    outbox.notify();
    expect(completed).toBe(true);
    expect(seen).toEqual([]);
    expect(queue.leasedCount).toBe(0);
  });
});
