// The body limit on Node streams, whoever reads the body: a parser, the route itself, a pipe.

import { type Readable, Transform } from 'node:stream';

/**
 * Counts the body of `req` as it is read, without reading it: a 'data' listener attached when the first reader
 * attaches one ('data' or 'readable'; `read()` emits 'data' too). Calls `onOver` once when the count passes `limit`.
 * The reader may already hold the chunk that crossed the limit (one socket read at most). For Express, whose routes
 * read `req` itself; no stream method is replaced.
 */
export function watchBody(req: Readable, limit: number, onOver: () => void): void {
  let seen = 0;
  const onData = (chunk: { length: number }): void => {
    seen += chunk.length;
    if (seen > limit) {
      req.removeListener('data', onData);
      onOver();
    }
  };
  const onNewListener = (event: string | symbol): void => {
    if (event !== 'data' && event !== 'readable') return;
    req.removeListener('newListener', onNewListener);
    req.on('data', onData);
  };
  req.on('newListener', onNewListener);
}

/**
 * The request body as a stream that fails with `tooLarge()` instead of passing on more than `limit` bytes: for
 * Fastify's preParsing hook, so the limit holds for stream content-type parsers too. Keeps `receivedEncodedLength`
 * up to date, as Fastify asks of a replaced payload.
 */
export function limitedBody(payload: Readable, limit: number, tooLarge: () => Error): Readable {
  let seen = 0;
  const out = new Transform({
    transform(chunk: Uint8Array, _enc, cb) {
      seen += chunk.length;
      (out as Transform & { receivedEncodedLength: number }).receivedEncodedLength = seen;
      if (seen > limit) {
        payload.unpipe(out);
        payload.pause();
        cb(tooLarge());
      } else cb(null, chunk);
    },
  });
  (out as Transform & { receivedEncodedLength: number }).receivedEncodedLength = 0;
  payload.on('error', (e) => out.destroy(e));
  payload.pipe(out);
  return out;
}
