import { foldAckRuns, type AckRun } from '../../src/protocol/ack-runs';

/** The ids runs name, by the rule of docs/protocol.md section 4 (what a receiver does). */
const runIds = (runs: AckRun[]): string[] =>
  runs.flatMap(([prefix, first, count]) =>
    Array.from({ length: count }, (_, k) => prefix + (first + k).toString(36)),
  );

const ids = (prefix: string, from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, k) => prefix + (from + k).toString(36));

describe('ranged acks: folding ids into runs', () => {
  it('folds consecutive base-36 suffixes of one prefix into one run, across a change of digit count', () => {
    const acked = ids('k3j5a8b2-', 30, 40); // ...-u to ...-14
    expect(foldAckRuns(acked)).toEqual({ runs: [['k3j5a8b2-', 30, 10]], singles: [] });
  });

  it('starts a new run at a gap, another prefix or out-of-order ids; lone ids go to singles', () => {
    const acked = [...ids('a-', 0, 3), 'a-5', ...ids('b-', 7, 9), 'a-6', 'a-4', ...ids('a-', 9, 12)];
    const folded = foldAckRuns(acked)!;
    expect([...runIds(folded.runs), ...folded.singles].sort()).toEqual([...acked].sort());
    expect(folded.runs).toEqual([
      ['a-', 0, 3],
      ['b-', 7, 2],
      ['a-', 9, 3],
    ]);
    expect(folded.singles).toEqual(['a-5', 'a-6', 'a-4']);
  });

  it('leaves out ids without a canonical suffix: a leading zero, upper case, no digits at the end', () => {
    const acked = ['m-01', 'm-02', 'M-A', 'M-B', 'x-', 'y-', ...ids('ok-', 1, 13)];
    const folded = foldAckRuns(acked)!;
    expect(folded.runs).toEqual([['ok-', 1, 12]]);
    expect(folded.singles).toEqual(['m-01', 'm-02', 'M-A', 'M-B', 'x-', 'y-']);
  });

  it('reads at most ten digits as the suffix, so every value is an exact integer', () => {
    const uuidTail = '550e8400-e29b-41d4-a716-44665544000'; // a long base-36 tail
    const folded = foldAckRuns([`${uuidTail}1`, `${uuidTail}2`, `${uuidTail}3`])!;
    expect(folded.runs).toHaveLength(1);
    const [prefix, first, count] = folded.runs[0]!;
    expect(prefix.length + first.toString(36).length).toBe(uuidTail.length + 1);
    expect(Number.isSafeInteger(first + count)).toBe(true);
    expect(runIds(folded.runs)).toEqual([`${uuidTail}1`, `${uuidTail}2`, `${uuidTail}3`]);
  });

  it('declines when fewer than half the ids fold (plain `ids` is as small then)', () => {
    expect(foldAckRuns(['a', 'x-1', 'b', 'c', 'x-2'])).toBeUndefined();
    expect(foldAckRuns(['u-1', 'v-1', 'w-1'])).toBeUndefined();
  });

  it('round-trips: the ids named by the runs and singles are the ids folded, none twice', () => {
    const acked = [...ids('p-', 0, 500), 'Q!', ...ids('p-', 600, 700), ...ids('', 1, 40)];
    const folded = foldAckRuns(acked)!;
    const named = [...runIds(folded.runs), ...folded.singles];
    expect(named).toHaveLength(acked.length);
    expect(new Set(named)).toEqual(new Set(acked));
  });
});
