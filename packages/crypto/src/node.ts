/**
 * @org/crypto/node — the Node-only parts: key files and encrypted file storage (they use node:fs).
 * Everything runtime-agnostic is in the main entry, `@org/crypto`.
 */

export type { FileKeyStoreOptions } from './file-key-store.js';
export { FILE_KEY_STORE_DEFAULTS, fileKeyStore } from './file-key-store.js';
export type {
  SecureStorage,
  SecureStorageOptions,
  StorageCallOptions,
  StorageInput,
  StorageListing,
  StoredInfo,
  UnreadableFile,
} from './secure-storage.js';
export { secureStorage } from './secure-storage.js';
