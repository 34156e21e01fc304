// JavaScript callers get no excess-property check: a misspelt option (`heartbeatIntreval`) would
// silently take its default. Every options object is checked against its known names instead.

/** Edit distance (insert, delete, substitute one character), case-insensitive. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[t.length]!;
}

/** The known name closest to `name`: one containing it (or contained in it) first, else the fewest edits. */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  const lower = name.toLowerCase();
  for (const candidate of known) {
    const c = candidate.toLowerCase();
    const score =
      lower.includes(c) || c.includes(lower)
        ? Math.abs(c.length - lower.length) / 100
        : distance(name, candidate);
    if (score < bestScore) [best, bestScore] = [candidate, score];
  }
  return best;
}

/**
 * Throws `TypeError: Unknown option \`heartbeatIntreval\` in <where>; did you mean \`heartbeatInterval\`?`
 * for the first own key of `options` that is not in `known`.
 */
export function checkOptionNames(where: string, options: object, known: ReadonlySet<string>): void {
  for (const key of Object.keys(options)) {
    if (known.has(key)) continue;
    const closest = closestName(key, known);
    throw new TypeError(
      `Unknown option \`${key}\` in ${where}${closest === undefined ? '.' : `; did you mean \`${closest}\`?`}`,
    );
  }
}
