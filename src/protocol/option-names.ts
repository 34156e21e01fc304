// JavaScript callers get no excess-property check: a misspelt option (`heartbeatIntreval`) would
// silently take its default. Every options object is checked against its known names instead.

/** Characters `a` and `b` share at the start plus at the end, case-insensitive (a cheap likeness). */
function likeness(a: string, b: string): number {
  let start = 0;
  let end = 0;
  while (start < a.length && a[start] === b[start]) start++;
  while (end < a.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  // Ties go to the name closest in length.
  return start + end - Math.abs(a.length - b.length) / 100;
}

/** The known name most like `name`: the longest shared start and end, case-insensitive. */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let score = -Infinity;
  for (const candidate of known) {
    const s = likeness(name.toLowerCase(), candidate.toLowerCase());
    if (s > score) [best, score] = [candidate, s];
  }
  return best;
}

/**
 * Throws `TypeError: Unknown option \`heartbeatIntreval\` in <where>; did you mean \`heartbeatInterval\`?`
 * for the first own key of `options` that is not in `known`.
 */
export function checkOptionNames(where: string, options: object, known: ReadonlySet<string>): void {
  for (const key of Object.keys(options))
    if (!known.has(key))
      throw new TypeError(
        `Unknown option \`${key}\` in ${where}; did you mean \`${closestName(key, known)}\`?`,
      );
}
