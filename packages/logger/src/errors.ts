// Symbol.for() is shared by every copy of the package in a process (ESM and CJS builds, duplicated installs), so the
// brand survives where `instanceof` does not.
const BRAND = Symbol.for('@org/logger.error');

/** Base error of @org/logger. `code` is stable and documented; messages never carry logged data. */
export class LoggerError extends Error {
  /** Stable machine-readable code: `ERR_SINK_OPEN`, `ERR_SINK_WRITE`. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LoggerError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any error created by @org/logger, even from another copy of it (ESM vs CJS). */
export function isLoggerError(e: unknown): e is LoggerError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}
