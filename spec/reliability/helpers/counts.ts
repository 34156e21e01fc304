/**
 * The counts every reliability spec ends in: what was sent, acknowledged,
 * processed once, lost, processed twice and delivered out of order, each with
 * zero as the expectation for the last three.
 */
export interface DeliveryCounts {
  /** Messages the client accepted (`send`/`sendWithAcknowledgement` resolved or returned a result). */
  sent: number;
  /** Results with `acknowledged: true`. */
  acknowledged: number;
  /** Accepted messages the server's handler ran exactly once. */
  processedOnce: number;
  /** Accepted messages that were not acknowledged or never reached the handler. */
  lost: number;
  /** Message ids the handler ran more than once (any id the server saw). */
  processedTwice: number;
  /** Messages first processed after a later message of the same priority. */
  orderViolations: number;
}

export interface CountInput {
  /** Ids of accepted messages. */
  sent: readonly string[];
  /** Ids whose delivery result was `acknowledged: true`. */
  acknowledged: ReadonlySet<string>;
  /** Handler runs per message id, as the server counted them. */
  processed: ReadonlyMap<string, number>;
  /** First processing by the handler, in order: `lane` (priority) and the send order within it. */
  firstProcessing?: ReadonlyArray<{ lane: number; seq: number }>;
}

export function countDeliveries(input: CountInput): DeliveryCounts {
  let processedOnce = 0;
  let lost = 0;
  let acknowledged = 0;
  for (const id of input.sent) {
    const runs = input.processed.get(id) ?? 0;
    const acked = input.acknowledged.has(id);
    if (acked) acknowledged++;
    if (runs === 1) processedOnce++;
    if (!acked || runs === 0) lost++;
  }
  let processedTwice = 0;
  for (const runs of input.processed.values()) if (runs > 1) processedTwice++;
  return {
    sent: input.sent.length,
    acknowledged,
    processedOnce,
    lost,
    processedTwice,
    orderViolations: orderViolations(input.firstProcessing ?? []),
  };
}

/** Counts entries whose `seq` is below the highest `seq` already seen in the same lane. */
export function orderViolations(sequence: ReadonlyArray<{ lane: number; seq: number }>): number {
  const highest = new Map<number, number>();
  let violations = 0;
  for (const { lane, seq } of sequence) {
    const top = highest.get(lane) ?? -Infinity;
    if (seq < top) violations++;
    else highest.set(lane, seq);
  }
  return violations;
}

/** One line: `label | sent 3000 | acknowledged 3000 | ... | order violations 0 | extra...`. */
export function formatCounts(
  label: string,
  counts: DeliveryCounts,
  extra: Record<string, string | number> = {},
): string {
  const cells: Array<[string, string | number]> = [
    ['sent', counts.sent],
    ['acknowledged', counts.acknowledged],
    ['processed once', counts.processedOnce],
    ['lost', counts.lost],
    ['processed twice', counts.processedTwice],
    ['order violations', counts.orderViolations],
    ...Object.entries(extra),
  ];
  return `${label} | ${cells.map(([k, v]) => `${k} ${v}`).join(' | ')}`;
}

/** The zero-expectation part of the counts, for one `toEqual`. */
export function faults(
  counts: DeliveryCounts,
): Pick<DeliveryCounts, 'lost' | 'processedTwice' | 'orderViolations'> & { unacknowledged: number } {
  return {
    lost: counts.lost,
    processedTwice: counts.processedTwice,
    orderViolations: counts.orderViolations,
    unacknowledged: counts.sent - counts.acknowledged,
  };
}

export const NO_FAULTS = { lost: 0, processedTwice: 0, orderViolations: 0, unacknowledged: 0 } as const;

/** Growth factor for counts and durations: `RELIABILITY_SCALE` (default 1). */
export function reliabilityScale(): number {
  const raw = process.env['RELIABILITY_SCALE'];
  const scale = raw === undefined || raw === '' ? 1 : Number(raw);
  if (!(scale > 0 && Number.isFinite(scale)))
    throw new TypeError(`RELIABILITY_SCALE must be a positive number, got ${raw}`);
  return scale;
}

/** Nearest-rank percentile of unsorted samples; 0 when empty. */
export function percentileOf(samples: readonly number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
