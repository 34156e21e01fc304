// One wording for every invalid option in the library, so each check is one line and
// each message says the same three things: which option, what it must be, what it got.

/** `TypeError: <name> must be <expected>; got <value>.` */
export function invalidOption(name: string, expected: string, got: unknown): TypeError {
  return new TypeError(
    `${name} must be ${expected}; got ${typeof got === 'string' ? `'${got}'` : String(got)}.`,
  );
}

/** A finite number > 0 (NaN, Infinity and non-numbers are not). */
export function isPositiveNumber(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value < Infinity;
}

/** A whole number >= 0, or `Infinity` (reads naturally as "never give up"). */
export function isCount(value: unknown): value is number {
  return value === Infinity || (Number.isInteger(value) && (value as number) >= 0);
}

/** Returns `value` if it is a finite number > 0; throws a TypeError naming `name` otherwise. */
export function checkPositive(name: string, value: unknown): number {
  if (!isPositiveNumber(value)) throw invalidOption(name, 'a positive finite number', value);
  return value;
}

/** Returns `value` if it is a whole number >= 0 or Infinity; throws a TypeError naming `name` otherwise. */
export function checkCount(name: string, value: unknown): number {
  if (!isCount(value)) throw invalidOption(name, 'a whole number >= 0 or Infinity', value);
  return value;
}

/** Returns `value` if it is a function; throws a TypeError naming `name` otherwise. */
export function checkFunction<F extends (...args: never[]) => unknown>(name: string, value: unknown): F {
  if (typeof value !== 'function') throw invalidOption(name, 'a function', value);
  return value as F;
}
