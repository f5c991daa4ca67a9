// Symbol.for() is shared by every copy of the package in a process (ESM and CJS builds, duplicated installs), so the
// brand survives where `instanceof` does not.
const BRAND = Symbol.for('@org/crypto.error');
const AUTH_BRAND = Symbol.for('@org/crypto.error.authentication');

/** Stable error codes of @org/crypto. */
export type CryptoErrorCode =
  | 'ERR_AUTHENTICATION'
  | 'ERR_KEY_DISABLED'
  | 'ERR_NO_PRIMARY_KEY'
  | 'ERR_KEY_NOT_FOUND'
  | 'ERR_KEY_STORE_READ_ONLY'
  | 'ERR_KEY_STORE_CORRUPT'
  | 'ERR_KEY_STORE_EMPTY'
  | 'ERR_KEY_STORE_LOCKED'
  | 'ERR_KEY_STORE_KEK'
  | 'ERR_STORAGE_NOT_FOUND'
  | 'ERR_STORAGE_CORRUPT'
  | 'ERR_SELF_TEST';

/** What a code tells a caller without reading the message. */
export interface ErrorCodeInfo {
  /** True when the same call may succeed later; false when retrying cannot help. */
  readonly retryable: boolean;
  /** The HTTP status a server answers with when the error escapes a handler; absent: none (500). */
  readonly status?: number;
}

/**
 * Every code @org/crypto's errors carry, with its `retryable` and `status`. Errors read these values from here, the
 * README's table is checked against it, and `ERR_INVALID_OPTION` / `ERR_INVALID_ARGUMENT` are the codes of the
 * built-in `TypeError` / `RangeError` thrown for a bad option or argument.
 */
export const cryptoErrorCodes: Readonly<
  Record<CryptoErrorCode | 'ERR_INVALID_OPTION' | 'ERR_INVALID_ARGUMENT', ErrorCodeInfo>
> = freeze({
  ERR_AUTHENTICATION: { retryable: false },
  ERR_KEY_DISABLED: { retryable: false },
  ERR_NO_PRIMARY_KEY: { retryable: false },
  ERR_KEY_NOT_FOUND: { retryable: false },
  ERR_KEY_STORE_READ_ONLY: { retryable: false },
  ERR_KEY_STORE_CORRUPT: { retryable: false },
  ERR_KEY_STORE_EMPTY: { retryable: false },
  ERR_KEY_STORE_LOCKED: { retryable: true, status: 503 },
  ERR_KEY_STORE_KEK: { retryable: false },
  ERR_STORAGE_NOT_FOUND: { retryable: false },
  ERR_STORAGE_CORRUPT: { retryable: false },
  ERR_SELF_TEST: { retryable: false },
  ERR_INVALID_OPTION: { retryable: false },
  ERR_INVALID_ARGUMENT: { retryable: false },
});

function freeze<T extends Record<string, ErrorCodeInfo>>(table: T): Readonly<T> {
  for (const info of Object.values(table)) Object.freeze(info);
  return Object.freeze(table);
}

/**
 * Base error of the package. `code` is stable and documented, `retryable` and `status` follow from it (see
 * {@link cryptoErrorCodes}); messages never carry key or plaintext bytes.
 */
export class CryptoError extends Error {
  /** Stable machine-readable code. */
  readonly code: CryptoErrorCode;
  /** True when the same call may succeed later. */
  readonly retryable: boolean;
  /** HTTP status the error maps to, when it has one. */
  declare readonly status?: number;
  constructor(code: CryptoErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CryptoError';
    this.code = code;
    const info = cryptoErrorCodes[code];
    this.retryable = info.retryable;
    if (info.status !== undefined) this.status = info.status;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** Why an envelope or stream failed to authenticate. None of these reveal key or plaintext bytes. */
export type AuthenticationFailure = 'tag' | 'format' | 'unknown-key' | 'truncated';

/**
 * The ciphertext did not authenticate: wrong key, wrong AAD, any modified byte, an unknown key id, a malformed
 * envelope, or a truncated/reordered stream. `reason` says which check failed; it never says more.
 */
export class AuthenticationError extends CryptoError {
  declare readonly code: 'ERR_AUTHENTICATION';
  /** Which check failed. */
  readonly reason: AuthenticationFailure;
  constructor(reason: AuthenticationFailure, message: string) {
    super('ERR_AUTHENTICATION', message);
    this.name = 'AuthenticationError';
    this.reason = reason;
    Object.defineProperty(this, AUTH_BRAND, { value: true });
  }
}

/** True for any error created by this package, even from another copy of it (ESM vs CJS). */
export function isCryptoError(e: unknown): e is CryptoError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

/** True when `e` is an {@link AuthenticationError} from any copy of this package. */
export function isAuthenticationError(e: unknown): e is AuthenticationError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[AUTH_BRAND] === true;
}

// A bad option or argument: the built-in TypeError / RangeError with a code (one copy for every core package, bundled
// into this package's dist).
export { invalidArgument, invalidOption, type UsageError } from '@org/usage-errors';
