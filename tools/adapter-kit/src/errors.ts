// The errors an adapter raises itself. Each has a stable `code` and the HTTP status the error handler answers with.

const BRAND = Symbol.for('@org/adapter.error');

/** Error raised by an adapter itself (body too large, request timeout, no client address). */
export class AdapterError extends Error {
  /** Stable machine-readable code, e.g. `ERR_BODY_TOO_LARGE`. */
  readonly code: string;
  /** HTTP status the error handler answers with. */
  readonly status: number;
  constructor(code: string, status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AdapterError';
    this.code = code;
    this.status = status;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any error created by one of the adapters, even from another copy of the package. */
export function isAdapterError(e: unknown): e is AdapterError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** 413: the request body is larger than `bodyLimit`. */
export const bodyTooLarge = (limit: number): AdapterError =>
  new AdapterError('ERR_BODY_TOO_LARGE', 413, `request body exceeds the limit of ${limit} bytes`);

/** 503: the response did not start within `timeoutMs`. */
export const requestTimedOut = (ms: number): AdapterError =>
  new AdapterError('ERR_REQUEST_TIMEOUT', 503, `request did not complete within ${ms} ms`);

/**
 * 500: rate limiting by client address, and the runtime gave none (a worker without `remoteAddress`). Answering every
 * client from one shared bucket would let one client lock out all the others.
 */
export const noClientAddress = (adapter: string): AdapterError =>
  new AdapterError(
    'ERR_NO_CLIENT_ADDRESS',
    500,
    `${adapter}: rate limiting by client address, but this runtime gives no client address; pass remoteAddress (e.g. (c) => c.req.header('cf-connecting-ip') on Cloudflare) or rateLimit.key`,
  );
