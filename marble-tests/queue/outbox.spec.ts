import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ConnectionState, MessagePriority } from '../../src/protocol/enums';
import { MessageQueue } from '../../src/queue/message-queue';
import { Outbox } from '../../src/queue/outbox';

const { LOW, NORMAL, HIGH, CRITICAL } = MessagePriority;

interface Send {
  id: string;
  priority?: MessagePriority;
  ttl?: number;
}

const gateValues = { o: true, c: false };

describe('Outbox (virtual time)', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** A queue without persistence (synchronous underneath) on the test clock, and its outbox. */
  function setup(maxInFlight: number, maxSize = 100) {
    const queue = new MessageQueue(
      { maxSize, enablePersistence: false, storageKey: 'm', defaultPriority: NORMAL, defaultTTL: 1000 },
      undefined,
      { scheduler: testScheduler },
    );
    const outbox = new Outbox(queue, { maxInFlight });
    const send = (s: Send): void => {
      queue.enqueue({ type: s.id }, { id: s.id, priority: s.priority, ttl: s.ttl }).catch(() => undefined);
    };
    const gate = (open: boolean): void => outbox.setGate(open);
    const settle = (id: string): void => void outbox.settle(id);
    return { queue, outbox, send, gate, settle, drained$: outbox.drain$.pipe(map((m) => m.id)) };
  }

  it('buffers while the gate is closed and drains in priority order when it opens', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const { send, gate, drained$ } = setup(10);
      const sends = {
        a: { id: 'a', priority: LOW },
        b: { id: 'b' },
        c: { id: 'c', priority: CRITICAL },
        d: { id: 'd' },
      };
      hot('        -abcd-------', sends).subscribe(send);
      hot('        ------o-----', gateValues).subscribe(gate);
      const drain = '------(cbda)';
      expectObservable(drained$).toBe(drain);
    });
  });

  it('follows a connection state observable: drains on CONNECTED, holds otherwise', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const { outbox, send, drained$ } = setup(10);
      const states = {
        r: ConnectionState.RECONNECTING,
        c: ConnectionState.CONNECTED,
        d: ConnectionState.DISCONNECTED,
      };
      cold('       --r----c---d---c--', states).subscribe((s) =>
        outbox.setGate(s === ConnectionState.CONNECTED),
      );
      hot('        -a--------b--x----', { a: { id: 'a' }, b: { id: 'b' }, x: { id: 'x' } }).subscribe(send);
      const drain = '-------a--b----x--';
      expectObservable(drained$).toBe(drain);
    });
  });

  it('stops at the window and continues as messages are settled', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const { outbox, send, settle, drained$ } = setup(2);
      outbox.setGate(true);
      hot('        -(abcd)---------', {
        a: { id: 'a' },
        b: { id: 'b' },
        c: { id: 'c' },
        d: { id: 'd' },
      }).subscribe((s) => send(s));
      hot('        --------a---b--c', { a: 'a', b: 'b', c: 'c' }).subscribe(settle);
      const drain = '-(ab)---c---d---';
      expectObservable(drained$).toBe(drain);
    });
  });

  it('stops when the gate closes mid-drain and resumes when it reopens', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const { send, gate, settle, drained$ } = setup(1);
      hot('        -(abc)-------', { a: { id: 'a' }, b: { id: 'b' }, c: { id: 'c' } }).subscribe((s) =>
        send(s),
      );
      hot('        --o---c----o-', gateValues).subscribe(gate);
      hot('        ----a---b----', { a: 'a', b: 'b' }).subscribe(settle);
      const drain = '--a-b------c-';
      expectObservable(drained$).toBe(drain);
    });
  });

  it('a message whose TTL runs out while it waits is reported at that exact time and never drained', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const { queue, send, gate, drained$ } = setup(10);
      // `a` is enqueued at 1 with ttl 5: it expires at 6. removeExpired runs at 5 and 6.
      hot('          -(ab)---', {
        a: { id: 'a', ttl: 5, priority: HIGH },
        b: { id: 'b', ttl: 100 },
      }).subscribe((s) => send(s));
      hot('          -----xx-').subscribe(() => queue.removeExpired());
      hot('          -------o', gateValues).subscribe(gate);
      const expired = '------a-';
      const drain = '  -------b';
      expectObservable(queue.expired$.pipe(map((m) => m.id))).toBe(expired);
      expectObservable(drained$).toBe(drain);
    });
  });

  it('dequeue at the expiry instant reports the message instead of handing it out', () => {
    const taken: (string | undefined)[] = [];
    testScheduler.run(({ hot, expectObservable }) => {
      const { queue, send } = setup(10);
      // `a` is enqueued at 1 with ttl 4: it expires at 5, the instant of the dequeue.
      hot('          -(ab)-', { a: { id: 'a', ttl: 4, priority: HIGH }, b: { id: 'b', ttl: 10 } }).subscribe(
        (s) => send(s),
      );
      hot('          ----p-').subscribe(() => taken.push(`peek@4:${queue.peek()?.id}`));
      hot('          -----d').subscribe(() => taken.push(`dequeue@5:${queue.dequeue()?.id}`));
      const expired = '-----a';
      expectObservable(queue.expired$.pipe(map((m) => m.id))).toBe(expired);
    });
    expect(taken).toEqual(['peek@4:a', 'dequeue@5:b']);
  });

  it('a full queue evicts lowest-priority oldest first, refuses what it cannot place, drains the rest', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const { queue, send, gate, drained$ } = setup(10, 3);
      const sends = {
        a: { id: 'l1', priority: LOW },
        b: { id: 'l2', priority: LOW },
        c: { id: 'n1', priority: NORMAL },
        d: { id: 'h1', priority: HIGH },
        e: { id: 'c1', priority: CRITICAL },
        f: { id: 'n2', priority: NORMAL }, // full of NORMAL and above: refused
      };
      hot('          -abcdef------', sends).subscribe(send);
      hot('          ---------o---', gateValues).subscribe(gate);
      const sizes = '0123------210';
      const evicted = '----ab-------';
      const drain = '  ---------(xyz)';
      expectObservable(queue.evicted$.pipe(map((e) => e.message.id))).toBe(evicted, { a: 'l1', b: 'l2' });
      expectObservable(queue.size$).toBe(sizes, { 0: 0, 1: 1, 2: 2, 3: 3 });
      expectObservable(drained$).toBe(drain, { x: 'c1', y: 'h1', z: 'n1' });
      hot('          ----------abc', { a: 'c1', b: 'h1', c: 'n1' }).subscribe((id) => void queue.settle(id));
    });
  });

  it('stops leasing once the only subscriber unsubscribes', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const { queue, outbox, send, drained$ } = setup(10);
      outbox.setGate(true);
      hot('        -a--b--', { a: { id: 'a' }, b: { id: 'b' } }).subscribe(send);
      const sub = '^--!---';
      const drain = '-a-----';
      expectObservable(drained$, sub).toBe(drain);
      testScheduler.schedule(() => {
        expect(queue.leasedCount).toBe(1);
        expect(queue.pendingCount).toBe(1);
      }, 6);
    });
  });
});
