import type { BenchEntry } from './harness';
import { bench, benchDurable } from './peers/rx-reliable-ws';
import { bench as benchRedis } from './peers/rx-reliable-ws-redis';

/** Our own client's rows, measured by the same harness as the peers. */
export const ourBenches: BenchEntry[] = [
  { name: 'rx-reliable-ws', bench },
  { name: 'rx-reliable-ws + file journal', bench: benchDurable },
  // Goal: >= 0.6x the 'rx-reliable-ws' row (the in-process server) of the same run.
  { name: 'rx-reliable-ws server on Redis', bench: benchRedis },
];
