// Symbol.for() is shared by every copy of the package in a process (ESM and CJS builds, duplicated installs), so the
// brand survives where `instanceof` does not.
const BRAND = Symbol.for('@org/secrets.error');

/** Stable error codes of @org/secrets. */
export type SecretsErrorCode =
  | 'ERR_SECRET_MISSING'
  | 'ERR_SECRET_INVALID'
  | 'ERR_SECRET_READ'
  | 'ERR_SECRET_TIMEOUT'
  | 'ERR_SECRET_NOT_LOADED'
  | 'ERR_SECRET_UNDECLARED'
  | 'ERR_SECRETS_LOAD'
  | 'ERR_SECRETS_CLOSED'
  | 'ERR_PROVIDER_CLOSE';

/** What a code tells a caller without reading the message. */
export interface ErrorCodeInfo {
  /**
   * True when the same call may succeed later; false when retrying cannot help; `'errors'` (`ERR_SECRETS_LOAD`): true
   * when every error in the error's `errors` is retryable.
   */
  readonly retryable: boolean | 'errors';
  /** The HTTP status a server answers with when the error escapes a handler; absent: none (500). */
  readonly status?: number;
}

/**
 * Every code @org/secrets' errors carry, with its `retryable` and `status`. Errors read these values from here, the
 * README's table is checked against it, and `ERR_INVALID_OPTION` / `ERR_INVALID_ARGUMENT` are the codes of the
 * built-in `TypeError` / `RangeError` thrown for a bad option or argument.
 */
export const secretsErrorCodes: Readonly<
  Record<SecretsErrorCode | 'ERR_INVALID_OPTION' | 'ERR_INVALID_ARGUMENT', ErrorCodeInfo>
> = freeze({
  ERR_SECRET_MISSING: { retryable: false },
  ERR_SECRET_INVALID: { retryable: false },
  ERR_SECRET_READ: { retryable: true, status: 503 },
  ERR_SECRET_TIMEOUT: { retryable: true, status: 504 },
  ERR_SECRET_NOT_LOADED: { retryable: false },
  ERR_SECRET_UNDECLARED: { retryable: false },
  ERR_SECRETS_LOAD: { retryable: 'errors' },
  ERR_SECRETS_CLOSED: { retryable: false },
  ERR_PROVIDER_CLOSE: { retryable: false },
  ERR_INVALID_OPTION: { retryable: false },
  ERR_INVALID_ARGUMENT: { retryable: false },
});

function freeze<T extends Record<string, ErrorCodeInfo>>(table: T): Readonly<T> {
  for (const info of Object.values(table)) Object.freeze(info);
  return Object.freeze(table);
}

/**
 * Base error of @org/secrets. `code` is stable, `retryable` and `status` follow from it (see
 * {@link secretsErrorCodes}); `secret` names the secret concerned (never its value). Messages and causes never carry a
 * secret's value: a validator's thrown error is not kept as the cause, because it may quote it.
 */
export class SecretsError extends Error {
  /** Stable machine-readable code. */
  readonly code: SecretsErrorCode;
  /** True when the same call may succeed later. */
  readonly retryable: boolean;
  /** HTTP status the error maps to, when it has one. */
  declare readonly status?: number;
  /** Name of the secret concerned, when there is one. */
  readonly secret: string | undefined;
  /** For `ERR_SECRETS_LOAD`: one error per secret that could not be loaded. */
  readonly errors: readonly SecretsError[];
  constructor(
    code: SecretsErrorCode,
    message: string,
    options?: ErrorOptions & { secret?: string; errors?: readonly SecretsError[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SecretsError';
    this.code = code;
    const info = secretsErrorCodes[code];
    this.secret = options?.secret;
    this.errors = options?.errors ?? [];
    this.retryable =
      info.retryable === 'errors'
        ? this.errors.length > 0 && this.errors.every((e) => e.retryable === true)
        : info.retryable;
    if (info.status !== undefined) this.status = info.status;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any error created by @org/secrets, even from another copy of it (ESM vs CJS). */
export function isSecretsError(e: unknown): e is SecretsError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

// A bad option or argument: the built-in TypeError / RangeError with a code (one copy for every core package, bundled
// into this package's dist).
export { invalidArgument, invalidOption, type UsageError } from '@org/usage-errors';
