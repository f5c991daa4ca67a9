import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Algorithm } from '../aead.js';
import { AuthenticationError } from '../errors.js';
import { utf8 } from './bytes.js';

/** Envelope format version (byte 0 of every message envelope). */
export const ENVELOPE_VERSION = 0x01;
/** Stream format version (byte 0 of every stream). */
export const STREAM_VERSION = 0x02;
export const TAG_LENGTH = 16;

export const ALGORITHM_IDS: Readonly<Record<Algorithm, number>> = Object.freeze({
  'aes-256-gcm': 0x01,
  'xchacha20-poly1305': 0x02,
  'aes-256-gcm-siv': 0x03,
});
const BY_ID: ReadonlyArray<Algorithm | undefined> = [undefined, 'aes-256-gcm', 'xchacha20-poly1305', 'aes-256-gcm-siv'];

export const NONCE_LENGTH: Readonly<Record<Algorithm, number>> = Object.freeze({
  'aes-256-gcm': 12,
  'xchacha20-poly1305': 24,
  'aes-256-gcm-siv': 12,
});

export const ALGORITHMS: readonly Algorithm[] = Object.freeze(['aes-256-gcm', 'xchacha20-poly1305', 'aes-256-gcm-siv']);

export const KEY_ID_RE: RegExp = /^[A-Za-z0-9_-]{1,64}$/;

/** Parsed fixed part of an envelope or stream header. */
export interface Header {
  version: number;
  algorithm: Algorithm;
  keyId: string;
  /** Byte length of `version | algorithm | keyIdLength | keyId`. */
  length: number;
}

export function writeHeader(out: Uint8Array, version: number, algorithm: Algorithm, keyId: string): number {
  out[0] = version;
  out[1] = ALGORITHM_IDS[algorithm];
  out[2] = keyId.length;
  for (let i = 0; i < keyId.length; i++) out[3 + i] = keyId.charCodeAt(i);
  return 3 + keyId.length;
}

const fail = (what: string): AuthenticationError =>
  new AuthenticationError('format', `decrypt: authentication failed (malformed ${what})`);

/** Parses `version | algorithm | keyIdLength | keyId`. Any deviation is an authentication failure (reason 'format'). */
export function readHeader(b: Uint8Array, version: number, what: string): Header {
  if (b.length < 4 || b[0] !== version) throw fail(what);
  const algorithm = BY_ID[b[1]!];
  const len = b[2]!;
  if (algorithm === undefined || len < 1 || len > 64 || b.length < 3 + len) throw fail(what);
  let keyId = '';
  for (let i = 0; i < len; i++) {
    const c = b[3 + i]!;
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;
    if (!ok) throw fail(what);
    keyId += String.fromCharCode(c);
  }
  return { version, algorithm, keyId, length: 3 + len };
}

const INFO_PREFIX = '@org/crypto/v1/';

/**
 * Derives the 32-byte working key for one purpose with HKDF-SHA256, so a stored key is never used directly and never
 * under two algorithms or purposes.
 */
export function deriveKey(master: Uint8Array, purpose: string, salt?: Uint8Array): Uint8Array {
  return hkdf(sha256, master, salt, utf8(INFO_PREFIX + purpose), 32);
}
