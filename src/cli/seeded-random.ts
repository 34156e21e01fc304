/**
 * A small seeded PRNG (mulberry32): the same seed yields the same sequence, so
 * a fault schedule that broke something can be replayed exactly by reusing
 * the seed printed with the failure.
 *
 * @param seed - any 32-bit integer (other numbers are truncated to 32 bits).
 * @returns a function returning floats in `[0, 1)`.
 *
 * ## Example
 * ```ts
 * const a = seededRandom(42);
 * const b = seededRandom(42);
 * console.log(a() === b());
 * // Output: true
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
