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
  | 'ERR_SECRETS_CLOSED';

/**
 * Base error of @org/secrets. `code` is stable; `secret` names the secret concerned (never its value). Messages and
 * causes never carry a secret's value: a validator's thrown error is not kept as the cause, because it may quote it.
 */
export class SecretsError extends Error {
  /** Stable machine-readable code. */
  readonly code: SecretsErrorCode;
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
    this.secret = options?.secret;
    this.errors = options?.errors ?? [];
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any error created by @org/secrets, even from another copy of it (ESM vs CJS). */
export function isSecretsError(e: unknown): e is SecretsError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}
