import { invalidArgument } from './errors.js';
import { currentContext, runWithContext, slot } from './internal/context.js';
import { isArray } from './internal/serialize.js';
import type { Fields } from './types.js';

/**
 * Runs `fn` with `fields` merged into every line logged inside it (and, where the runtime has AsyncLocalStorage, in
 * everything it awaits or schedules). Nested calls merge, inner keys winning. Returns what `fn` returns. `fields` is
 * copied once, here; a key whose read throws is kept as `"[Throws: …]"`, and an object whose keys cannot be listed
 * (a revoked Proxy) gives `contextError`: hostile data never stops `fn` from running.
 * @throws {TypeError} when `fields` is not an object or `fn` is not a function.
 */
export function withContext<R>(fields: Fields, fn: () => R): R {
  if (typeof fields !== 'object' || fields === null || isArray(fields)) {
    throw invalidArgument(TypeError, 'logger: withContext(fields, fn) fields must be a plain object');
  }
  if (typeof fn !== 'function')
    throw invalidArgument(TypeError, 'logger: withContext(fields, fn) fn must be a function');
  return runWithContext(fields, fn);
}

/** The context fields in effect here (a copy), or undefined outside any `withContext`. */
export function getContext(): Fields | undefined {
  const c = currentContext(slot());
  return c === undefined ? undefined : { ...c };
}
