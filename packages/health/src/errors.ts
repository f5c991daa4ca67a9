// Symbol.for() is shared by every copy of the package in a process (ESM and CJS builds, duplicated installs), so the
// brand survives where `instanceof` does not.
const BRAND = Symbol.for('@org/health.error');

/**
 * Base error of @org/health. `code` is stable and documented:
 * - `ERR_DUPLICATE_CHECK`: a check with the same name is already registered.
 * - `ERR_HEALTH_CLOSED`: the health instance was closed.
 * - `ERR_CHECK_TIMEOUT`: a check did not settle within its `timeoutMs` (reported in the check's `output`).
 */
export class HealthError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HealthError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any error created by @org/health, even from another copy of it (ESM vs CJS). */
export function isHealthError(e: unknown): e is HealthError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}
