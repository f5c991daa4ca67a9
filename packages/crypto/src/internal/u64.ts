/** Writes `n` (an integer below 2^53) as an unsigned 64-bit big-endian number at `b[o..o+8)`. */
export function writeU64(b: Uint8Array, o: number, n: number): void {
  const hi = Math.floor(n / 2 ** 32);
  b[o] = hi >>> 24;
  b[o + 1] = (hi >>> 16) & 255;
  b[o + 2] = (hi >>> 8) & 255;
  b[o + 3] = hi & 255;
  b[o + 4] = n >>> 24;
  b[o + 5] = (n >>> 16) & 255;
  b[o + 6] = (n >>> 8) & 255;
  b[o + 7] = n & 255;
}
