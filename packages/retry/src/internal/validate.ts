/** Throws a RangeError naming the option unless `v` is a finite number >= min (or also Infinity when allowed). */
import { invalidOption } from '../errors.js';
export function checkNumber(
  where: string,
  name: string,
  v: unknown,
  min: number,
  infinity = false,
  integer = false,
): number {
  const ok =
    typeof v === 'number' &&
    v >= min &&
    (Number.isFinite(v) ? !integer || Number.isInteger(v) : infinity && v === Number.POSITIVE_INFINITY);
  if (!ok) {
    const what = `${integer ? 'an integer' : 'a finite number'} >= ${min}${infinity ? ' (or Infinity)' : ''}`;
    const err = typeof v === 'number' ? RangeError : TypeError;
    throw invalidOption(err, `${where}: ${name} must be ${what}, got ${describe(v)}`);
  }
  return v as number;
}

/** Throws a TypeError naming the option unless `v` is a function (or undefined). */
export function checkFunction<F>(where: string, name: string, v: unknown): F | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'function')
    throw invalidOption(TypeError, `${where}: ${name} must be a function, got ${describe(v)}`);
  return v as F;
}

/** Throws a TypeError listing the unknown keys of an options object (typos like `retries` fail loudly). */
export function checkKeys(where: string, obj: object, known: ReadonlySet<string>): void {
  for (const k in obj) {
    if (!known.has(k) && Object.hasOwn(obj, k)) {
      throw invalidOption(TypeError, `${where}: unknown option "${k}" (known options: ${[...known].join(', ')})`);
    }
  }
}

/** Short, safe description of a value for error messages. */
export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v == null) return String(v);
  if (typeof v === 'function') return 'a function';
  return Array.isArray(v) ? 'an array' : 'an object';
}

/** True when `v` looks like an AbortSignal (duck-typed so signals from another realm work). */
export function isSignal(v: unknown): v is AbortSignal {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as AbortSignal).aborted === 'boolean' &&
    typeof (v as AbortSignal).addEventListener === 'function' &&
    typeof (v as AbortSignal).removeEventListener === 'function'
  );
}
