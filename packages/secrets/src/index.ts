/**
 * @org/secrets — secrets from environment variables, mounted files (`@org/secrets/node`) and any provider you write
 * in a few lines (Vault, a cloud secret manager): declared once, checked at start-up, cached for a TTL, re-read when a
 * file rotates, audited on access, and handed out as `Secret` values that never print. No dependency, no `node:`
 * import in this entry.
 */

export type { EnvProviderOptions } from './env.js';
export { envProvider } from './env.js';
export type { ErrorCodeInfo, SecretsErrorCode, UsageError } from './errors.js';
export { isSecretsError, SecretsError, secretsErrorCodes } from './errors.js';
export type { Secret } from './secret.js';
export { isSecret, REDACTED, secret } from './secret.js';
export type {
  ProviderValue,
  SecretOf,
  SecretProvider,
  SecretSpec,
  SecretStatus,
  Secrets,
  SecretsEvents,
  SecretsOptions,
} from './secrets.js';
export { SECRETS_DEFAULTS, secrets } from './secrets.js';
