// The body limit before anything is read, and what rule 4 of header-plan.ts asks: has the whole body arrived? A body
// nobody reads is never read to its end: a head written before the body is in closes the connection (HTTP/1.x) or the
// request's stream (HTTP/2).

/** What the body checks read of a request: node:http's IncomingMessage, or node:http2's Http2ServerRequest. */
export interface BodyRequest {
  readonly complete: boolean;
  readonly headers: { 'content-length'?: string | undefined; 'transfer-encoding'?: string | undefined };
  /** 2 over HTTP/2 (node:http2's compatibility API); HTTP/1.x when absent. */
  readonly httpVersionMajor?: number;
  /** node:http2's stream of the request: `endAfterHeaders` is true when the request has no body at all. */
  readonly stream?: { readonly endAfterHeaders?: boolean } | undefined;
}

/**
 * Whether part of the request's body has not arrived yet (Node's `complete` is false until the whole message is
 * parsed, also for a request without a body whose head is answered at once). Over HTTP/1.x a body is announced by
 * Content-Length or Transfer-Encoding; over HTTP/2 it needs neither (the stream's END_STREAM ends it).
 */
export function bodyPending(req: BodyRequest): boolean {
  if (req.complete) return false;
  if (isHttp2(req)) return req.stream?.endAfterHeaders !== true;
  const h = req.headers;
  const len = h['content-length'];
  return h['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/**
 * Whether the body's length is not declared, so it must be counted as it is read to hold a limit: chunked over
 * HTTP/1.1, and any body without Content-Length over HTTP/2 (where no header announces one). A declared length is
 * refused before reading when too large ({@link declaredTooLarge}) and cannot be exceeded (Node's parsers stop at it).
 */
export function lengthUndeclared(req: BodyRequest): boolean {
  const h = req.headers;
  return h['content-length'] === undefined && (h['transfer-encoding'] !== undefined || isHttp2(req));
}

/** Whether `req` came over HTTP/2 (or later). */
export const isHttp2 = (req: { readonly httpVersionMajor?: number } | undefined): boolean =>
  (req?.httpVersionMajor ?? 1) >= 2;

/** Whether a request announces a body longer than `limit` (Content-Length), so it can be refused before reading. */
export function declaredTooLarge(contentLength: string | undefined, limit: number): boolean {
  return contentLength !== undefined && Number(contentLength) > limit;
}
