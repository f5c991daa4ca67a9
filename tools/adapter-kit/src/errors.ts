// The errors an adapter raises itself, following the error contract of the core packages (tools/error-contract): a
// stable `code`, `retryable`, and the HTTP `status` the error handler answers with, all read from one table.

const BRAND = Symbol.for('@org/adapter.error');

/** What a code tells a caller without reading the message. */
export interface AdapterCodeInfo {
  /** True when the same request may succeed later. */
  readonly retryable: boolean;
  /** The HTTP status the adapters answer with; absent for the usage errors (a bad option, thrown at setup). */
  readonly status?: number;
}

/** Codes carried by {@link AdapterError}. */
export type AdapterErrorCode =
  | 'ERR_BODY_TOO_LARGE'
  | 'ERR_REQUEST_TIMEOUT'
  | 'ERR_NO_CLIENT_ADDRESS'
  | 'ERR_IP_DENIED'
  | 'ERR_CROSS_ORIGIN_REQUEST'
  | 'ERR_MALFORMED_BODY'
  | 'ERR_VALIDATION'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_VALIDATOR_FAILED';

/**
 * Every code the adapters' own errors carry, with `retryable` and `status`. `ERR_REQUEST_TIMEOUT` answers 503 unless
 * the adapter's `timeoutStatus` is 504. `ERR_INVALID_OPTION` is the code of the `TypeError` / `RangeError` thrown at
 * setup for a bad option.
 */
export const adapterErrorCodes: Readonly<Record<AdapterErrorCode | 'ERR_INVALID_OPTION', AdapterCodeInfo>> =
  Object.freeze({
    ERR_BODY_TOO_LARGE: Object.freeze({ retryable: false, status: 413 }),
    ERR_REQUEST_TIMEOUT: Object.freeze({ retryable: true, status: 503 }),
    ERR_NO_CLIENT_ADDRESS: Object.freeze({ retryable: false, status: 500 }),
    ERR_IP_DENIED: Object.freeze({ retryable: false, status: 403 }),
    ERR_CROSS_ORIGIN_REQUEST: Object.freeze({ retryable: false, status: 403 }),
    ERR_MALFORMED_BODY: Object.freeze({ retryable: false, status: 400 }),
    ERR_VALIDATION: Object.freeze({ retryable: false, status: 400 }),
    ERR_UNSUPPORTED_MEDIA_TYPE: Object.freeze({ retryable: false, status: 415 }),
    ERR_VALIDATOR_FAILED: Object.freeze({ retryable: false, status: 500 }),
    ERR_INVALID_OPTION: Object.freeze({ retryable: false }),
  });

/** Error raised by an adapter itself (body too large, request timeout, address refused, ...). */
export class AdapterError extends Error {
  /** Stable machine-readable code, e.g. `ERR_BODY_TOO_LARGE` (see {@link adapterErrorCodes}). */
  readonly code: string;
  /** HTTP status the error handler answers with. */
  readonly status: number;
  /** True when the same request may succeed later. */
  readonly retryable: boolean;
  constructor(code: string, status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AdapterError';
    this.code = code;
    this.status = status;
    this.retryable = adapterErrorCodes[code as AdapterErrorCode]?.retryable ?? false;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any error created by one of the adapters, even from another copy of the package. */
export function isAdapterError(e: unknown): e is AdapterError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** A bad option: the built-in class with `code: 'ERR_INVALID_OPTION'` and `retryable: false`, as the core packages throw. */
export { invalidOption } from '@org/usage-errors';

/** 413: the request body is larger than `bodyLimit`. */
export const bodyTooLarge = (limit: number): AdapterError =>
  new AdapterError('ERR_BODY_TOO_LARGE', 413, `request body exceeds the limit of ${limit} bytes`);

/** 503 (or 504, the adapter's `timeoutStatus`): the response did not start within `timeoutMs`. */
export const requestTimedOut = (ms: number, status: 503 | 504 = 503): AdapterError =>
  new AdapterError('ERR_REQUEST_TIMEOUT', status, `request did not complete within ${ms} ms`);

/** 403: the client address is refused by an IP allow / deny list. */
export const ipDenied = (): AdapterError =>
  new AdapterError('ERR_IP_DENIED', 403, 'the client address is not allowed to use this resource');

/** 403: an unsafe cross-origin request refused by the CSRF guard; `detail` is the guard's sentence. */
export const crossOriginRefused = (detail: string): AdapterError =>
  new AdapterError('ERR_CROSS_ORIGIN_REQUEST', 403, detail);

/**
 * 500: rate limiting by client address, and the runtime gave none (a worker without `remoteAddress`). Answering every
 * client from one shared bucket would let one client lock out all the others.
 */
export const noClientAddress = (adapter: string): AdapterError =>
  new AdapterError(
    'ERR_NO_CLIENT_ADDRESS',
    500,
    `${adapter}: rate limiting or an IP list needs the client address, but this runtime gives none; pass remoteAddress (e.g. (c) => c.req.header('cf-connecting-ip') on Cloudflare) or rateLimit.key`,
  );
