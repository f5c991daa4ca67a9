// Symbol.for() is shared by every copy of the package in a process (ESM and CJS builds, duplicated installs), so the
// brand survives where `instanceof` does not.
const BRAND = Symbol.for('@org/headers.error');

/**
 * Base error of @org/headers for failures at request time (bad nonce handed to `forRequest`).
 * Option mistakes throw `TypeError` / `RangeError` at construction instead, naming the option.
 */
export class HeadersError extends Error {
  /** Stable machine-readable code, e.g. `ERR_INVALID_NONCE`. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HeadersError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any error created by @org/headers, even from another copy of it (ESM vs CJS). */
export function isHeadersError(e: unknown): e is HeadersError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}
