import { GCProfiler, getHeapStatistics } from 'node:v8';

/** What one process spent between `startProbe()` and the stop function it returns. */
export interface ProbeSample {
  /** process.cpuUsage, user + system, in µs. */
  cpuUs: number;
  /** Main-thread time inside garbage collections (V8's GC cost: wall time of each pause), in µs. */
  gcUs: number;
  /** Number of collections. */
  gcs: number;
  /** Bytes allocated on the V8 heap: growth of the used heap plus what each collection freed. */
  allocatedBytes: number;
  /**
   * Bytes the scavenges moved into old space (its growth across each scavenge): objects that
   * outlived two young-generation collections. Steadier than GC time, and what GC time follows.
   */
  promotedBytes: number;
}

/** GCProfiler's heap figures are camelCase at run time, whatever @types/node says. */
interface GcHeap {
  heapStatistics: { usedHeapSize: number };
  heapSpaceStatistics: Array<{ spaceName: string; spaceUsedSize: number }>;
}
interface GcEntry {
  gcType: string;
  cost: number;
  beforeGC: GcHeap;
  afterGC: GcHeap;
}

const oldSpaceUsed = (heap: GcHeap): number =>
  heap.heapSpaceStatistics.find((space) => space.spaceName === 'old_space')?.spaceUsedSize ?? 0;

export const EMPTY_SAMPLE: ProbeSample = { cpuUs: 0, gcUs: 0, gcs: 0, allocatedBytes: 0, promotedBytes: 0 };

/**
 * Starts measuring this process: CPU, GC time and allocated bytes, from
 * `v8.GCProfiler` (each collection's cost and the heap before and after it),
 * so it needs no `--expose-gc` and no forced collection. Call the returned
 * function once to stop and read.
 */
export function startProbe(): () => ProbeSample {
  const profiler = new GCProfiler();
  const cpu = process.cpuUsage();
  const heapBefore = getHeapStatistics().used_heap_size;
  profiler.start();
  return () => {
    const statistics = profiler.stop().statistics as unknown as GcEntry[];
    const heapAfter = getHeapStatistics().used_heap_size;
    const used = process.cpuUsage(cpu);
    let freed = 0;
    let gcUs = 0;
    let promotedBytes = 0;
    for (const gc of statistics) {
      freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
      gcUs += gc.cost;
      if (gc.gcType === 'Scavenge')
        promotedBytes += Math.max(0, oldSpaceUsed(gc.afterGC) - oldSpaceUsed(gc.beforeGC));
    }
    return {
      cpuUs: used.user + used.system,
      gcUs,
      gcs: statistics.length,
      allocatedBytes: Math.max(0, heapAfter - heapBefore + freed),
      promotedBytes,
    };
  };
}

export function addSamples(a: ProbeSample, b: ProbeSample): ProbeSample {
  return {
    cpuUs: a.cpuUs + b.cpuUs,
    gcUs: a.gcUs + b.gcUs,
    gcs: a.gcs + b.gcs,
    allocatedBytes: a.allocatedBytes + b.allocatedBytes,
    promotedBytes: a.promotedBytes + b.promotedBytes,
  };
}
