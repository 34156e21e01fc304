import fc from 'fast-check';
import { PriorityHeap } from '../../src/queue/binary-heap';

interface Entry {
  id: number;
  priority: number;
}

function stableSorted(entries: Entry[]): Entry[] {
  // Array.prototype.sort is stable: equal priorities keep insertion order.
  return [...entries].sort((a, b) => b.priority - a.priority);
}

function drain<T>(heap: PriorityHeap<T>): T[] {
  const out: T[] = [];
  for (let item = heap.pop(); item !== undefined; item = heap.pop()) out.push(item);
  return out;
}

const entries = fc
  .array(fc.integer({ min: 0, max: 3 }), { maxLength: 200 })
  .map((ps) => ps.map((priority, id) => ({ id, priority })));

describe('PriorityHeap', () => {
  it('pops in stable (priority desc, insertion asc) order', () => {
    fc.assert(
      fc.property(entries, (list) => {
        const heap = new PriorityHeap<Entry>();
        for (const e of list) heap.push(e, e.priority);
        expect(heap.size).toBe(list.length);
        expect(drain(heap)).toEqual(stableSorted(list));
      }),
    );
  });

  it('keeps that order when pushes and pops interleave', () => {
    fc.assert(
      fc.property(entries, fc.array(fc.boolean(), { maxLength: 200 }), (list, pops) => {
        const heap = new PriorityHeap<Entry>();
        const model: Entry[] = [];
        list.forEach((e, i) => {
          heap.push(e, e.priority);
          model.push(e);
          if (pops[i]) {
            const expected = stableSorted(model)[0];
            model.splice(model.indexOf(expected), 1);
            expect(heap.pop()).toBe(expected);
          }
        });
        expect(drain(heap)).toEqual(stableSorted(model));
      }),
    );
  });

  it('removeWhere returns the removed in pop order and keeps the rest in order', () => {
    fc.assert(
      fc.property(entries, (list) => {
        const heap = new PriorityHeap<Entry>();
        for (const e of list) heap.push(e, e.priority);
        const odd = (e: Entry): boolean => e.id % 3 === 1;
        expect(heap.removeWhere(odd)).toEqual(stableSorted(list.filter(odd)));
        heap.push({ id: -1, priority: 0 }, 0);
        expect(drain(heap)).toEqual(stableSorted([...list.filter((e) => !odd(e)), { id: -1, priority: 0 }]));
      }),
    );
  });

  it('iterating visits every item', () => {
    fc.assert(
      fc.property(entries, (list) => {
        const heap = new PriorityHeap<Entry>();
        for (const e of list) heap.push(e, e.priority);
        expect(new Set(heap)).toEqual(new Set(list));
        expect([...heap]).toHaveLength(list.length);
      }),
    );
  });

  it('an explicit seq puts an item back in its original place', () => {
    const heap = new PriorityHeap<string>();
    heap.push('a', 1);
    heap.push('b', 1);
    heap.push('c', 1);
    expect(heap.pop()).toBe('a');
    heap.push('a', 1, 0);
    heap.push('d', 1);
    expect(drain(heap)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('seqs given explicitly move the automatic counter past them', () => {
    const heap = new PriorityHeap<string>();
    heap.push('x', 2, 10);
    heap.push('y', 2);
    heap.push('w', 2, 5);
    expect(drain(heap)).toEqual(['w', 'x', 'y']);
  });

  it('peek shows the next item; empty heap gives undefined', () => {
    const heap = new PriorityHeap<string>();
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
    heap.push('low', 0);
    heap.push('high', 3);
    expect(heap.peek()).toBe('high');
    expect(heap.size).toBe(2);
    heap.clear();
    expect(heap.size).toBe(0);
  });
});
