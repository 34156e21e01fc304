import { TurnBatcher } from '../../src/redis/turn-batcher';

describe('TurnBatcher', () => {
  it('runs the calls of one turn as one batch per group, each caller getting its own output', async () => {
    const runs: Array<[string, number[]]> = [];
    const batcher = new TurnBatcher<number, string>((group, items) => {
      runs.push([group, [...items]]);
      return Promise.resolve(items.map((i) => `${group}:${i}`));
    });
    const out = await Promise.all([batcher.add('a', 1), batcher.add('b', 2), batcher.add('a', 3)]);
    expect(out).toEqual(['a:1', 'b:2', 'a:3']);
    expect(runs).toEqual([
      ['a', [1, 3]],
      ['b', [2]],
    ]);
  });

  it('cuts a group into chunks of maxBatch and maps every chunk back to its callers', async () => {
    const sizes: number[] = [];
    const batcher = new TurnBatcher<number, number>((_, items) => {
      sizes.push(items.length);
      return Promise.resolve(items.map((i) => i * 10));
    }, 3);
    const out = await Promise.all(Array.from({ length: 8 }, (_, i) => batcher.add('g', i)));
    expect(out).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
    expect(sizes).toEqual([3, 3, 2]);
  });

  it('rejects only the callers of the chunk whose run failed', async () => {
    let call = 0;
    const batcher = new TurnBatcher<number, number>(
      (_, items) => (++call === 2 ? Promise.reject(new Error('down')) : Promise.resolve(items)),
      2,
    );
    const settled = await Promise.allSettled([0, 1, 2, 3, 4].map((i) => batcher.add('g', i)));
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
  });

  it('starts a new batch for calls made after the flush', async () => {
    const sizes: number[] = [];
    const batcher = new TurnBatcher<number, number>((_, items) => {
      sizes.push(items.length);
      return Promise.resolve(items);
    });
    await batcher.add('g', 1);
    await Promise.all([batcher.add('g', 2), batcher.add('g', 3)]);
    expect(sizes).toEqual([1, 2]);
  });
});
