// Symbol.for() is shared by every copy of the package in a process (ESM and CJS builds, duplicated installs), so the
// brand survives where `instanceof` does not.
const BRAND = Symbol.for('@org/ratelimit.error');

/** Base error of @org/ratelimit. `code` is stable; messages never carry keys or client data. */
export class RateLimitError extends Error {
  /**
   * Stable machine-readable code: `ERR_STORE`, `ERR_STORE_TIMEOUT`, `ERR_STORE_REPLY`, `ERR_STORE_BACKLOG`,
   * `ERR_SYNC_STORE`.
   */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RateLimitError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** Thrown (only with `onStoreError: 'throw'`) or reported through `on('storeError')` when the store fails or times out. */
export class RateLimitStoreError extends RateLimitError {
  constructor(
    code: 'ERR_STORE' | 'ERR_STORE_TIMEOUT' | 'ERR_STORE_REPLY' | 'ERR_STORE_BACKLOG',
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
    this.name = 'RateLimitStoreError';
  }
}

/** True for any error created by this package, even from another copy of it (ESM vs CJS). */
export function isRateLimitError(e: unknown): e is RateLimitError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}
