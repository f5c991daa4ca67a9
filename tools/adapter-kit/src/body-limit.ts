// The body limit before anything is read, and what rule 4 of header-plan.ts asks: has the whole body arrived? A body
// nobody reads is never read to its end: a head written before the body is in closes the connection.

/**
 * Whether part of the request's body has not arrived yet (Node's `complete` is false until the whole message is
 * parsed, also for a request without a body whose head is answered at once).
 */
export function bodyPending(req: {
  readonly complete: boolean;
  readonly headers: { 'content-length'?: string | undefined; 'transfer-encoding'?: string | undefined };
}): boolean {
  if (req.complete) return false;
  const h = req.headers;
  const len = h['content-length'];
  return h['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/** Whether a request announces a body longer than `limit` (Content-Length), so it can be refused before reading. */
export function declaredTooLarge(contentLength: string | undefined, limit: number): boolean {
  return contentLength !== undefined && Number(contentLength) > limit;
}
