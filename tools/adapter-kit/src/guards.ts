// The request guards that refuse a request before anything else is decided for it: the IP allow / deny list (on the
// trusted client address, the one the rate limiter keys by) and the cross-site request guard of @org/headers. Both are
// compiled at setup; an adapter without them pays one `undefined` check per request.

import type { LoggerLike } from './contracts.js';
import { type AdapterError, crossOriginRefused, ipDenied, noClientAddress } from './errors.js';
import type { IpFilter } from './ip-filter.js';

/** The request fields `crossOriginProtection().check()` of @org/headers reads. */
export interface CrossOriginRequestLike {
  /** The method as sent. */
  method: string;
  /** A request header by lower-case name. */
  header(name: string): string | readonly string[] | undefined | null;
  /** The request's host (`Host`). */
  host?: string | undefined;
  /** The request target's path (a query is ignored). */
  path?: string | undefined;
}

/** What `crossOriginProtection()` from @org/headers returns (the part the adapter uses). */
export interface CrossOriginGuardLike {
  /** Judges one request; never throws on request data. */
  check(request: CrossOriginRequestLike): { readonly allowed: boolean; readonly detail?: string };
}

/** Methods the CSRF guard never refuses (it answers them without reading a header): skipped before building a request view. */
export const isSafeMethod = (m: string): boolean => m === 'GET' || m === 'HEAD' || m === 'OPTIONS';

/**
 * The IP list's verdict: undefined when the address may pass, else the 403 error to answer with.
 * @throws {AdapterError} `ERR_NO_CLIENT_ADDRESS` when the runtime gave no address: a list cannot be checked, and
 * letting every client through would defeat it.
 */
export function checkIp(filter: IpFilter, ip: string, adapter: string): AdapterError | undefined {
  if (ip === '') throw noClientAddress(adapter);
  return filter.allows(ip) ? undefined : ipDenied();
}

/** The CSRF guard's verdict on an unsafe method: undefined when allowed, else the 403 error to answer with. */
export function checkCrossOrigin(
  guard: CrossOriginGuardLike,
  request: CrossOriginRequestLike,
): AdapterError | undefined {
  const d = guard.check(request);
  return d.allowed ? undefined : crossOriginRefused(d.detail ?? 'cross-origin request refused');
}

/** The one log line of a refused request (warn): its code, id, method, path and client address. */
export function logRefusal(
  logger: LoggerLike | undefined,
  err: AdapterError,
  requestId: string | undefined,
  method: string,
  path: string,
  ip: string,
): void {
  logger?.warn({ code: err.code, requestId, method, path, ip }, 'request refused');
}
