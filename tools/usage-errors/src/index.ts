// The usage errors of the core packages: a bad option or argument is the built-in TypeError / RangeError (so
// `instanceof` works as for Node's own), with a stable `code` and `retryable: false`. One copy here; each package
// bundles it into its dist (scripts/inline-private.mjs), so none depends on another at run time.

/** The classes a usage error is an instance of. */
export type UsageErrorClass = TypeErrorConstructor | RangeErrorConstructor;

/** A bad option or argument: the built-in class (for `instanceof`) with a code, as Node's own errors have. */
export interface UsageError extends Error {
  /** `ERR_INVALID_OPTION` (a factory's or method's options) or `ERR_INVALID_ARGUMENT` (any other argument). */
  readonly code: 'ERR_INVALID_OPTION' | 'ERR_INVALID_ARGUMENT';
  /** Always false: the same call fails the same way. */
  readonly retryable: false;
}

function usageError(
  Class: UsageErrorClass,
  code: UsageError['code'],
  message: string,
  caller: (...a: never[]) => unknown,
): UsageError {
  const e = new Class(message) as Error & { code: string; retryable: boolean };
  e.code = code;
  e.retryable = false;
  // Like Node's `TypeError [ERR_X]: …`: the code in the stack's first line, and the stack starting at the caller.
  const capture = (Error as { captureStackTrace?: (o: object, f: unknown) => void }).captureStackTrace;
  if (capture !== undefined) {
    e.name = `${Class.name} [${code}]`;
    capture(e, caller);
    void e.stack;
    delete (e as { name?: string }).name;
  }
  return e as UsageError;
}

/** @internal A `TypeError`/`RangeError` naming a bad option: code `ERR_INVALID_OPTION`, not retryable. */
export function invalidOption(Class: UsageErrorClass, message: string): UsageError {
  return usageError(Class, 'ERR_INVALID_OPTION', message, invalidOption);
}

/** @internal A `TypeError`/`RangeError` naming a bad argument: code `ERR_INVALID_ARGUMENT`, not retryable. */
export function invalidArgument(Class: UsageErrorClass, message: string): UsageError {
  return usageError(Class, 'ERR_INVALID_ARGUMENT', message, invalidArgument);
}
