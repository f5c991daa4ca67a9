/** Runtime-agnostic byte helpers (no Buffer, no node:). */

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export const utf8 = (s: string): Uint8Array => enc.encode(s);
export const fromUtf8 = (b: Uint8Array): string => dec.decode(b);

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * A view of `b[start, end)` (`b` itself when that is all of it). The constructor is markedly cheaper than `subarray`
 * (no species lookup), which shows on small messages.
 */
export function view(b: Uint8Array, start: number, end: number): Uint8Array {
  return start === 0 && end === b.length ? b : new Uint8Array(b.buffer, b.byteOffset + start, end - start);
}

export function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array || (ArrayBuffer.isView(x) && x.constructor.name === 'Uint8Array');
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_INV = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INV[B64.charCodeAt(i)] = i;
B64_INV['+'.charCodeAt(0)] = 62;
B64_INV['/'.charCodeAt(0)] = 63;

/** Base64url without padding. */
export function toBase64url(b: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = b[i]! << 16;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8);
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]!;
  }
  return s;
}

/** Decodes base64url or base64 (padding optional). Returns undefined on any invalid character or length. */
export function fromBase64url(s: string): Uint8Array | undefined {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 61 /* = */) end--;
  if (s.length - end > 2 || end % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64_INV[c]! : -1;
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
  }
  return out;
}

/**
 * Decodes canonical base64url only (RFC 4648 §5: `A-Z a-z 0-9 - _`, no padding, unused bits of the last character
 * zero), so every byte string has exactly one accepted text. Returns the bytes, or a sentence saying what is wrong
 * (positions and character codes only, never the text itself).
 */
export function fromBase64urlCanonical(s: string): Uint8Array | string {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && B64_INV[c]! >= 0 && c !== 43 && c !== 47) continue;
    if (c === 61) return `'=' padding at index ${i} (base64url is unpadded)`;
    if (c === 43 || c === 47) return `'${s[i]}' at index ${i} (base64url uses - and _)`;
    return `character code ${c} at index ${i}`;
  }
  if (n % 4 === 1) return `length ${n} is not possible`;
  const last = n % 4 === 0 ? 0 : B64_INV[s.charCodeAt(n - 1)]!;
  if ((n % 4 === 2 && (last & 15) !== 0) || (n % 4 === 3 && (last & 3) !== 0))
    return 'last character has non-zero unused bits';
  return fromBase64url(s)!;
}

/** Constant-time comparison of two byte arrays of equal length. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export function describe(x: unknown): string {
  if (isBytes(x)) return `${x.length} bytes`;
  if (typeof x === 'string') return `a string`;
  if (x === null) return 'null';
  return typeof x;
}
