import type { BenchEntry } from './harness';
import { bench, benchDurable } from './peers/rx-reliable-ws';

/** Our own client's rows, measured by the same harness as the peers. */
export const ourBenches: BenchEntry[] = [
  { name: 'rx-reliable-ws', bench },
  { name: 'rx-reliable-ws + file journal', bench: benchDurable },
];
