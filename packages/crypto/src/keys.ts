import { makeAead } from './aead.js';
import { CryptoError, invalidOption } from './errors.js';
import { describe, fromBase64url, fromUtf8, isBytes, toBase64url, utf8 } from './internal/bytes.js';
import { deriveKey, KEY_ID_RE } from './internal/format.js';
import { randomBytes } from './internal/random.js';

/**
 * Lifecycle state of a key.
 * - `primary`: encrypts new messages (exactly one per keyring) and decrypts.
 * - `active`: decrypts; staged to become the next primary (lets every process learn a key before it is used).
 * - `decrypt-only`: a retired primary; decrypts old messages, never encrypts again. `rewrap()` moves data off it.
 * - `disabled`: kept (never deleted) but refuses to decrypt; can be re-enabled.
 */
export type KeyState = 'primary' | 'active' | 'decrypt-only' | 'disabled';

/** Key states, in lifecycle order. */
export const KEY_STATES: readonly KeyState[] = Object.freeze(['primary', 'active', 'decrypt-only', 'disabled']);

/** A key with its secret material. Never log it. */
export interface KeyRecord {
  /** Public identifier, 1–64 chars of `[A-Za-z0-9_-]`, written into every envelope. */
  id: string;
  /** 32 secret bytes. */
  key: Uint8Array;
  /** Lifecycle state. */
  state: KeyState;
  /** Creation time, ms since the epoch. */
  createdAt: number;
  /** When the key last became primary (ms since the epoch); rotation by age counts from here. */
  activatedAt?: number;
}

/** A key's public description (no secret material). */
export type KeyInfo = Omit<KeyRecord, 'key'>;

/** Options of {@link serializeKeys} / {@link parseKeys}. */
export interface KeyFileOptions {
  /**
   * Key-encryption key: 32 bytes, or their base64/base64url text (e.g. from an environment variable). When given,
   * the whole key list is sealed with AES-256-GCM under it. Passing the option with value `undefined` throws, so an
   * unset environment variable cannot silently store keys in the clear.
   */
  kek?: Uint8Array | string | undefined;
}

const FORMAT = '@org/crypto.keyring';
const KEK_AAD = utf8(`${FORMAT}/v1`);

/** Generates a new random key record (32 bytes from the platform CSPRNG, 72-bit random id). */
export function generateKeyRecord(
  opts: { state?: KeyState; createdAt?: number; random?: (n: number) => Uint8Array } = {},
): KeyRecord {
  const random = opts.random ?? randomBytes;
  const key = random(32);
  if (!isBytes(key) || key.length !== 32)
    throw invalidOption(TypeError, 'generateKeyRecord: random(32) must return 32 bytes');
  return {
    id: toBase64url(random(9)),
    key: key.slice(),
    state: opts.state ?? 'primary',
    createdAt: opts.createdAt ?? Date.now(),
  };
}

/** @internal Normalises a kek option to 32 bytes; `fn` names the caller for error messages. */
export function normalizeKek(fn: string, opts: KeyFileOptions): Uint8Array | undefined {
  if (!('kek' in opts)) return undefined;
  const kek = opts.kek;
  if (kek === undefined)
    throw invalidOption(
      TypeError,
      `${fn}: kek is undefined (is the environment variable set?); omit the option to store keys in the clear`,
    );
  const bytes = typeof kek === 'string' ? fromBase64url(kek.trim()) : kek;
  if (!isBytes(bytes) || bytes.length !== 32)
    throw invalidOption(
      RangeError,
      `${fn}: kek must be 32 bytes or their base64/base64url text, got ${typeof kek === 'string' ? `a string of ${kek.length} chars` : describe(kek)}`,
    );
  return bytes;
}

/** @internal Validates one record (throws a CryptoError naming the field, never the key bytes). */
export function checkRecord(where: string, r: unknown): KeyRecord {
  const o = r as Partial<KeyRecord> | null;
  const bad = (why: string) => new CryptoError('ERR_KEY_STORE_CORRUPT', `${where}: ${why}`);
  if (typeof o !== 'object' || o === null) throw bad('key entry is not an object');
  if (typeof o.id !== 'string' || !KEY_ID_RE.test(o.id))
    throw bad(`key id must match ${KEY_ID_RE}, got ${JSON.stringify(o.id)}`);
  if (!KEY_STATES.includes(o.state as KeyState)) throw bad(`key ${o.id}: unknown state ${JSON.stringify(o.state)}`);
  if (typeof o.createdAt !== 'number' || !Number.isFinite(o.createdAt))
    throw bad(`key ${o.id}: createdAt must be a number`);
  if (!isBytes(o.key) || o.key.length !== 32) throw bad(`key ${o.id}: key material must be 32 bytes`);
  if (o.activatedAt !== undefined && (typeof o.activatedAt !== 'number' || !Number.isFinite(o.activatedAt)))
    throw bad(`key ${o.id}: activatedAt must be a number`);
  const out: KeyRecord = { id: o.id, key: o.key, state: o.state as KeyState, createdAt: o.createdAt };
  if (o.activatedAt !== undefined) out.activatedAt = o.activatedAt;
  return out;
}

/**
 * Serialises keys to the JSON text used by the file and environment stores, optionally sealed under a KEK.
 * The output contains secret material unless `kek` is given: protect it like a password.
 */
export function serializeKeys(keys: readonly KeyRecord[], opts: KeyFileOptions = {}): string {
  const kek = normalizeKek('serializeKeys', opts);
  const list = keys.map((k) => {
    const r = checkRecord('serializeKeys', k);
    return { id: r.id, state: r.state, createdAt: r.createdAt, activatedAt: r.activatedAt, key: toBase64url(r.key) };
  });
  if (!kek) return `${JSON.stringify({ format: FORMAT, version: 1, keys: list }, null, 2)}\n`;
  const aead = makeAead('serializeKeys', 'aes-256-gcm', deriveKey(kek, 'kek'), 'auto');
  const nonce = randomBytes(12);
  const sealed = aead.encrypt(nonce, utf8(JSON.stringify(list)), KEK_AAD);
  return `${JSON.stringify({ format: FORMAT, version: 1, sealed: toBase64url(nonce) + toBase64url(sealed) })}\n`;
}

/**
 * Parses text written by {@link serializeKeys}. A sealed file needs the same `kek`; a clear file is accepted with or
 * without one (so a store can be migrated to a KEK).
 * @throws {CryptoError} `ERR_KEY_STORE_CORRUPT` on malformed text, `ERR_KEY_STORE_KEK` on a missing or wrong KEK.
 */
export function parseKeys(text: string, opts: KeyFileOptions = {}): KeyRecord[] {
  const kek = normalizeKek('parseKeys', opts);
  const corrupt = (why: string) => new CryptoError('ERR_KEY_STORE_CORRUPT', `parseKeys: ${why}`);
  let doc: { format?: unknown; version?: unknown; keys?: unknown; sealed?: unknown };
  try {
    doc = JSON.parse(text);
  } catch {
    throw corrupt('not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null || doc.format !== FORMAT) throw corrupt(`format is not ${FORMAT}`);
  if (doc.version !== 1)
    throw corrupt(`unsupported document version ${String(doc.version)} (this @org/crypto reads version 1)`);
  let list: unknown = doc.keys;
  if (doc.sealed !== undefined) {
    if (!kek) throw new CryptoError('ERR_KEY_STORE_KEK', 'parseKeys: the keys are sealed under a KEK; pass kek');
    const raw = typeof doc.sealed === 'string' ? fromBase64url(doc.sealed.slice(16)) : undefined;
    const nonce = typeof doc.sealed === 'string' ? fromBase64url(doc.sealed.slice(0, 16)) : undefined;
    if (!raw || !nonce || nonce.length !== 12) throw corrupt('sealed field is malformed');
    const aead = makeAead('parseKeys', 'aes-256-gcm', deriveKey(kek, 'kek'), 'auto');
    let plain: Uint8Array;
    try {
      plain = aead.decrypt(nonce, raw, KEK_AAD);
    } catch {
      throw new CryptoError('ERR_KEY_STORE_KEK', 'parseKeys: wrong KEK or tampered key file');
    }
    try {
      list = JSON.parse(fromUtf8(plain));
    } catch {
      throw corrupt('sealed content is not valid JSON');
    }
  }
  if (!Array.isArray(list)) throw corrupt('keys must be an array');
  const seen = new Set<string>();
  return list.map((e: { id?: unknown; state?: unknown; createdAt?: unknown; activatedAt?: unknown; key?: unknown }) => {
    const key = typeof e?.key === 'string' ? fromBase64url(e.key) : undefined;
    const r = checkRecord('parseKeys', { ...e, key });
    if (seen.has(r.id)) throw corrupt(`duplicate key id ${r.id}`);
    seen.add(r.id);
    return r;
  });
}

/**
 * @internal {@link parseKeys} for shared stores: the document must be sealed under `kek`. A clear document is refused,
 * because whoever can write the database could otherwise plant keys of their choosing.
 */
export function parseSealedKeys(text: string, kek: Uint8Array): KeyRecord[] {
  let sealed = true;
  try {
    const doc = JSON.parse(text) as { format?: unknown; sealed?: unknown } | null;
    sealed = !(typeof doc === 'object' && doc !== null && doc.format === FORMAT && doc.sealed === undefined);
  } catch {
    // parseKeys names the problem
  }
  if (!sealed)
    throw new CryptoError(
      'ERR_KEY_STORE_KEK',
      'parseKeys: the document is not sealed under a KEK; a shared store accepts sealed documents only',
    );
  return parseKeys(text, { kek });
}

/** @internal The kek option of a shared store: required (keys there are always sealed), normalised to 32 bytes. */
export function requireKek(fn: string, opts: KeyFileOptions): Uint8Array {
  if (opts.kek === undefined)
    throw invalidOption(
      TypeError,
      `${fn}: kek is required (32 bytes or their base64/base64url text): a shared store holds keys sealed under a KEK only; is the environment variable set?`,
    );
  return normalizeKek(fn, opts)!;
}
