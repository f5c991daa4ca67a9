import { CryptoError, invalidArgument } from '../errors.js';
import { type KeyRecord, parseSealedKeys, serializeKeys } from '../keys.js';
import { checkUpdate, type KeyStore } from '../stores.js';
import { equalBytes } from './bytes.js';

/** A stored keyring document and its version (a decimal counter, 1 for the first write). */
export interface VersionedDocument {
  version: string;
  document: string;
}

/** What a shared store must do; `versionedKeyStore` builds the key store on top of it. */
export interface VersionedBackend {
  /** The current document, or null when there is none yet. */
  read(): Promise<VersionedDocument | null>;
  /**
   * Stores `document` as version `next` only if the stored version is still `expected` (null: only if there is no
   * document yet). Resolves true when written, false when another writer got there first. Atomic.
   */
  write(expected: string | null, next: string, document: string): Promise<boolean>;
  /** Atomically adds `count` to the messages reserved under key `keyId`; resolves with the total after. */
  addReserved(keyId: string, count: number): Promise<number>;
}

const VERSION_RE = /^[1-9][0-9]{0,17}$/;
/** Compare-and-set losses in a row before update gives up (each loss means another writer succeeded). */
const MAX_CONFLICTS = 64;

const copy = (r: KeyRecord): KeyRecord => ({ ...r, key: r.key.slice() });

function sameKeys(a: readonly KeyRecord[], b: readonly KeyRecord[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.id !== y.id || x.state !== y.state || x.createdAt !== y.createdAt || x.activatedAt !== y.activatedAt)
      return false;
    if (!equalBytes(x.key, y.key)) return false;
  }
  return true;
}

/**
 * A key store over a versioned document (PostgreSQL row, Redis hash): reads parse the KEK-sealed document, updates
 * are compare-and-set loops (read version v, apply the change, write v+1 only if v is still there, else start again
 * from what the winner wrote), and every update goes through `checkUpdate`, so no key is ever dropped. `where` names
 * the store in every error.
 */
export function versionedKeyStore(where: string, kek: Uint8Array, backend: VersionedBackend): KeyStore {
  const parse = (d: VersionedDocument): KeyRecord[] => {
    if (typeof d.version !== 'string' || !VERSION_RE.test(d.version))
      throw new CryptoError(
        'ERR_KEY_STORE_CORRUPT',
        `${where}: stored version ${JSON.stringify(d.version)} is not a counter`,
      );
    if (typeof d.document !== 'string')
      throw new CryptoError('ERR_KEY_STORE_CORRUPT', `${where}: version ${d.version} has no document`);
    try {
      return parseSealedKeys(d.document, kek);
    } catch (e) {
      if (e instanceof CryptoError) throw new CryptoError(e.code, `${where}: ${e.message}`);
      throw e;
    }
  };

  return {
    readOnly: false,
    async load() {
      const d = await backend.read();
      return d ? parse(d) : [];
    },
    async update(fn) {
      for (let conflicts = 0; ; conflicts++) {
        const d = await backend.read();
        const current = d ? parse(d) : [];
        const next = checkUpdate(where, current, fn(current.map(copy)));
        if (sameKeys(current, next)) return next; // nothing to write (e.g. adopted another writer's rotation)
        const version = d ? String(BigInt(d.version) + 1n) : '1';
        if (await backend.write(d ? d.version : null, version, serializeKeys(next, { kek }))) return next;
        if (conflicts + 1 >= MAX_CONFLICTS)
          throw new CryptoError(
            'ERR_KEY_STORE_LOCKED',
            `${where}: gave up after ${MAX_CONFLICTS} conflicting writes in a row (other writers kept changing the keyring)`,
          );
      }
    },
    async reserve(keyId, count, limit) {
      if (!Number.isInteger(count) || count < 1)
        throw invalidArgument(RangeError, `${where}: reserve count must be an integer >= 1`);
      const after = await backend.addReserved(keyId, count);
      if (!Number.isSafeInteger(after))
        throw new CryptoError('ERR_KEY_STORE_CORRUPT', `${where}: reserved count of key ${keyId} is not an integer`);
      // The total counts every request, granted or not; what this request got is the part below the limit.
      return Math.max(0, Math.min(count, limit - (after - count)));
    },
  };
}
