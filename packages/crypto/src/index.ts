/**
 * @org/crypto — authenticated encryption with versioned keys that rotate themselves and never get lost.
 *
 * Runtime-agnostic entry: no `node:` import. The native AES-GCM backend (node:crypto) is found at run time through
 * `process.getBuiltinModule`. File-system parts (`fileKeyStore`, `secureStorage`) live in `@org/crypto/node`.
 */

export type { Aead, AeadOptions, Algorithm, Backend, BackendOption } from './aead.js';
export { aes256gcm, aes256gcmsiv, hasNativeAesGcm, xchacha20poly1305 } from './aead.js';
export type { AadOptions, ByteSource, Cipher, CipherOptions, EnvelopeInfo } from './cipher.js';
export { CIPHER_DEFAULTS, createCipher, inspectEnvelope } from './cipher.js';
export type { AuthenticationFailure, CryptoErrorCode, ErrorCodeInfo, UsageError } from './errors.js';
export {
  AuthenticationError,
  CryptoError,
  cryptoErrorCodes,
  isAuthenticationError,
  isCryptoError,
} from './errors.js';
export type { Keyring, KeyringEvents, KeyringOptions, RotationReason } from './keyring.js';
export { createKeyring, KEYRING_DEFAULTS } from './keyring.js';
export type { KeyFileOptions, KeyInfo, KeyRecord, KeyState } from './keys.js';
export { generateKeyRecord, KEY_STATES, parseKeys, serializeKeys } from './keys.js';
export type { PostgresKeyStoreOptions, PostgresQuery } from './postgres-key-store.js';
export { POSTGRES_KEY_STORE_DEFAULTS, postgresKeyStore, postgresKeyStoreSchema } from './postgres-key-store.js';
export type { RedisKeyStoreOptions, RedisSend } from './redis-key-store.js';
export { REDIS_KEY_STORE_DEFAULTS, redisKeyStore } from './redis-key-store.js';
export type { EnvKeyStoreOptions, KeyStore } from './stores.js';
export { envKeyStore, memoryKeyStore } from './stores.js';
