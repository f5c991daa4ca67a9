// The access log: one line per request, at the level its status calls for.

import { now } from './clock.js';
import type { LoggerLike, PreparedRecordLike } from './contracts.js';

const REQUEST_KEYS = ['requestId', 'method', 'path', 'status', 'durationMs', 'ip', 'aborted'] as const;
const REQUEST_MSG = 'request completed';
/** The request line's prepared record per logger (null: the logger has none); the last one is kept at hand. */
const prepared = new WeakMap<LoggerLike, PreparedRecordLike | null>();
let lastLogger: LoggerLike | null = null;
let lastRecord: PreparedRecordLike | null = null;

function requestRecord(logger: LoggerLike): PreparedRecordLike | null {
  if (logger === lastLogger) return lastRecord;
  let r = prepared.get(logger);
  if (r === undefined) {
    r = typeof logger.prepare === 'function' ? logger.prepare(REQUEST_KEYS, REQUEST_MSG) : null;
    prepared.set(logger, r);
  }
  lastLogger = logger;
  lastRecord = r;
  return r;
}

/**
 * Writes a request's access line, `request completed` with `requestId, method, path, status, durationMs, ip` (and
 * `aborted: true` when the response did not finish), at the level its status calls for: error for 5xx, warn for 4xx,
 * info otherwise. `t0` is the request's start (performance.now() ms).
 */
export function logRequest(
  logger: LoggerLike,
  requestId: string | undefined,
  method: string | undefined,
  path: string,
  status: number,
  t0: number,
  ip: string,
  aborted: boolean,
): void {
  const d = Math.round((now() - t0) * 1000) / 1000;
  const rec = requestRecord(logger);
  if (rec !== null) {
    // the same line, without a fields object (measured in a Fastify server under load, see @org/logger's prepare)
    const ab = aborted ? true : undefined;
    if (status >= 500) rec.error(requestId, method, path, status, d, ip, ab);
    else if (status >= 400) rec.warn(requestId, method, path, status, d, ip, ab);
    else rec.info(requestId, method, path, status, d, ip, ab);
    return;
  }
  const fields: Record<string, unknown> = {
    requestId,
    method,
    path,
    status,
    durationMs: d,
    ip,
  };
  if (aborted) fields.aborted = true;
  if (status >= 500) logger.error(fields, REQUEST_MSG);
  else if (status >= 400) logger.warn(fields, REQUEST_MSG);
  else logger.info(fields, REQUEST_MSG);
}
