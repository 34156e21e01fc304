import type { BenchEntry } from './harness';

/**
 * Our own client's rows, run after the peers by bench/run.ts: `rx-reliable-ws`
 * without persistence, and with the file journal. Each entry's `bench` takes
 * `{ messages, window }` and returns a BenchResult; build it from `measure`
 * and `tradeSignal` in ./harness (and `startPeerServer` in ./peer-server) so
 * the rows are measured exactly like the peers'.
 */
export const ourBenches: BenchEntry[] = [];
