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
  | 'ERR_STORAGE_CORRUPT';

/** Base error of the package. `code` is stable and documented; messages never carry key or plaintext bytes. */
export class CryptoError extends Error {
  /** Stable machine-readable code. */
  readonly code: CryptoErrorCode;
  constructor(code: CryptoErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CryptoError';
    this.code = code;
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
