import type { ByteSource } from '../cipher.js';
import { invalidArgument } from '../errors.js';
import { describe, isBytes } from './bytes.js';

/**
 * Splits a byte source into `chunkSize` pieces, each yielded with whether it is the last one (there is always exactly
 * one last piece, empty for an empty source). A piece is only known not to be the last once more data arrives, so
 * every piece is copied into one reused buffer: a yielded piece is valid until the next one is requested, and sources
 * may reuse their own buffers as well.
 */
export async function* rechunk(
  source: ByteSource,
  chunkSize: number,
  what: string,
): AsyncGenerator<[Uint8Array, boolean]> {
  const buf = new Uint8Array(chunkSize);
  let fill = 0;
  for await (const piece of source) {
    if (!isBytes(piece))
      throw invalidArgument(TypeError, `${what}: source yielded ${describe(piece)}, expected Uint8Array`);
    let off = 0;
    while (off < piece.length) {
      if (fill === chunkSize) {
        yield [buf, false];
        fill = 0;
      }
      const take = Math.min(piece.length - off, chunkSize - fill);
      buf.set(piece.subarray(off, off + take), fill);
      fill += take;
      off += take;
    }
  }
  yield [buf.subarray(0, fill), true];
}
