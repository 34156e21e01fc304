/**
 * Ranged acks (docs/protocol.md, "Ranged acks"): a run `[prefix, first, count]`
 * acknowledges the ids `prefix + (first + k).toString(36)` for k in [0, count),
 * the shape of the reference client's ids (`<random>-<counter in base 36>`).
 * Sent only to a client whose hello lists the feature; any other id travels in `ids`.
 * The reference client does not ask for them yet (see the hello in client/connection.ts).
 */

/** The hello's `features` entry asking for ranged acks. */
export const ACK_RUNS_FEATURE = 'ack-runs';

/** One run: `count` ids sharing `prefix`, with consecutive base-36 suffixes from `first`. */
export type AckRun = [prefix: string, first: number, count: number];

/** Most ids the runs of one frame may name, all envelopes together (a bound on what a frame can make its reader expand). */
export const MAX_RUN_IDS_PER_FRAME = 100_000;
/** Suffixes of at most 10 base-36 digits: 36^10 - 1 is below 2^53, so every suffix is an exact integer. */
const MAX_SUFFIX_DIGITS = 10;

/** The value of a base-36 digit (`0-9`, `a-z`), or -1. */
function digit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 122) return code - 87; // a-z
  return -1;
}

/**
 * Folds `ids` into runs, in order: consecutive ids that continue a run extend
 * it, any id that cannot (no canonical base-36 suffix, another prefix, not the
 * next number) starts a new one. Runs of one id are returned in `singles`.
 * Returns undefined when fewer than half the ids fold, where `ids` alone is as small.
 */
export function foldAckRuns(ids: readonly string[]): { runs: AckRun[]; singles: string[] } | undefined {
  const runs: AckRun[] = [];
  const singles: string[] = [];
  // The open run, in locals (a tuple is built when it closes): its first id, prefix, first suffix, size.
  let runId = '';
  let prefix = '';
  let first = 0;
  let count = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    // The canonical suffix: the trailing base-36 digits (at most MAX_SUFFIX_DIGITS), no leading zero.
    const stop = Math.max(0, id.length - MAX_SUFFIX_DIGITS);
    let cut = id.length;
    let value = 0;
    let scale = 1;
    while (cut > stop) {
      const d = digit(id.charCodeAt(cut - 1));
      if (d < 0) break;
      value += d * scale;
      scale *= 36;
      cut--;
    }
    const canonical = cut < id.length && (cut === id.length - 1 || id.charCodeAt(cut) !== 48);
    if (canonical && count > 0 && value === first + count && cut === prefix.length && id.startsWith(prefix)) {
      count++;
      continue;
    }
    if (count === 1) singles.push(runId);
    else if (count > 1) runs.push([prefix, first, count]);
    if (canonical) {
      runId = id;
      prefix = id.slice(0, cut);
      first = value;
      count = 1;
    } else {
      count = 0;
      singles.push(id);
    }
  }
  if (count === 1) singles.push(runId);
  else if (count > 1) runs.push([prefix, first, count]);
  return singles.length * 2 > ids.length ? undefined : { runs, singles };
}
