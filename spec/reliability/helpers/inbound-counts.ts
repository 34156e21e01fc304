import { createHash } from 'node:crypto';

/** The principal the reference server gives an API key (see ApiKeyAuthenticator), and its default stream. */
export function principalStream(apiKey: string): string {
  return `principal:key:${createHash('sha256').update(apiKey, 'utf8').digest('hex').slice(0, 16)}`;
}

/** What one reliable message looked like when app code got it. */
export interface Received {
  /** The publisher's number for it (in its payload). */
  n: number;
  seq: number;
  redelivered: boolean;
}

/** The counts every inbound-stream spec ends in, each expected to be 0 except `received`. */
export interface InboundCounts {
  published: number;
  /** Distinct published messages app code got. */
  received: number;
  lost: number;
  /** Messages app code got more than once without `redelivered: true` on the repeat. */
  twice: number;
  /** Repeats marked `redelivered: true` (the one allowed edge: a crash mid hand-off). */
  redelivered: number;
  /** A message that arrived after a later one (first arrivals only). */
  outOfOrder: number;
}

export function countInbound(published: readonly number[], received: readonly Received[]): InboundCounts {
  const seen = new Map<number, number>();
  let twice = 0;
  let redelivered = 0;
  let outOfOrder = 0;
  let highest = -Infinity;
  for (const r of received) {
    const times = (seen.get(r.n) ?? 0) + 1;
    seen.set(r.n, times);
    if (times > 1) {
      if (r.redelivered) redelivered++;
      else twice++;
      continue;
    }
    if (r.n < highest) outOfOrder++;
    highest = Math.max(highest, r.n);
  }
  const lost = published.filter((n) => !seen.has(n)).length;
  return { published: published.length, received: seen.size, lost, twice, redelivered, outOfOrder };
}

export const NO_INBOUND_FAULTS = { lost: 0, twice: 0, outOfOrder: 0 };

export function inboundFaults(c: InboundCounts): typeof NO_INBOUND_FAULTS {
  return { lost: c.lost, twice: c.twice, outOfOrder: c.outOfOrder };
}
