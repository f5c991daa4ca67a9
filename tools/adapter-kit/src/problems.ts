// RFC 9457 problem details: what any thrown value becomes on the wire, without leaking internals.

/** An RFC 9457 problem details object (application/problem+json). */
export interface ProblemDetails {
  /** A URI reference identifying the problem type; `about:blank` means "see the status code". */
  type: string;
  /** Short summary; for `about:blank` the HTTP reason phrase. */
  title: string;
  /** The HTTP status code. */
  status: number;
  /** Explanation specific to this occurrence; only ever set for errors meant for the client. */
  detail?: string;
  /** The request path. */
  instance?: string;
  /** Extension: the request id, to quote when reporting a problem. */
  requestId?: string;
  [extension: string]: unknown;
}

/** Status, headers and body of a problem response. `expected` is false for errors that should be logged as bugs. */
export interface ProblemResponse {
  status: number;
  headers: Record<string, string>;
  body: ProblemDetails;
  expected: boolean;
}

/** Reason phrases used as `title`. */
export const STATUS_TITLES: Readonly<Record<number, string>> = Object.freeze({
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
});

/** The media type of problem responses. */
export const PROBLEM_JSON = 'application/problem+json';

/** A problem body for a status, with optional extensions. */
export function problem(status: number, extra?: Record<string, unknown>): ProblemDetails {
  const body: ProblemDetails = { type: 'about:blank', title: STATUS_TITLES[status] ?? 'Error', status };
  if (extra) for (const k of Object.keys(extra)) if (extra[k] !== undefined) body[k] = extra[k];
  return body;
}

const retryAfterHeader = (ms: unknown): Record<string, string> =>
  typeof ms === 'number' && Number.isFinite(ms) && ms >= 0
    ? { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) }
    : {};

const TOO_LARGE = new Set(['ERR_BODY_TOO_LARGE', 'FST_ERR_CTP_BODY_TOO_LARGE', 'ERR_PAYLOAD_TOO_LARGE']);
const RATE_LIMITED = new Set([
  'ERR_RATE_LIMITED',
  'ERR_RATE_LIMIT',
  'ERR_RATE_LIMIT_EXCEEDED',
  'ERR_TOO_MANY_REQUESTS',
]);
const UNAVAILABLE = new Set(['ERR_CIRCUIT_OPEN', 'ERR_CIRCUIT_ISOLATED', 'ERR_BULKHEAD_FULL', 'ERR_BULKHEAD_REJECTED']);

/** Maps a thrown value to a problem response. Unexpected errors become a bare 500: no message, no stack. */
export function problemForError(
  err: unknown,
  ctx: { requestId?: string | undefined; instance?: string | undefined },
): ProblemResponse {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const code = typeof e.code === 'string' ? e.code : '';
  const ext = { instance: ctx.instance, requestId: ctx.requestId };
  // a server-side misconfiguration the adapter has reported itself (see rateKey): a bare 500, logged once by it
  if (code === 'ERR_NO_CLIENT_ADDRESS') return { status: 500, headers: {}, body: problem(500, ext), expected: true };
  if (code === 'ERR_REQUEST_TIMEOUT')
    return {
      status: 503,
      headers: {},
      body: problem(503, { ...ext, detail: 'The request took too long.' }),
      expected: true,
    };
  if (UNAVAILABLE.has(code))
    return {
      status: 503,
      headers: retryAfterHeader(e.retryAfterMs),
      body: problem(503, { ...ext, detail: 'A dependency is unavailable; retry later.' }),
      expected: true,
    };
  if (code === 'ERR_CIRCUIT_TIMEOUT' || code === 'ERR_ATTEMPT_TIMEOUT')
    return {
      status: 504,
      headers: {},
      body: problem(504, { ...ext, detail: 'A dependency did not answer in time.' }),
      expected: true,
    };
  if (TOO_LARGE.has(code) || e.type === 'entity.too.large')
    return {
      status: 413,
      headers: {},
      body: problem(413, { ...ext, detail: 'The request body is too large.' }),
      expected: true,
    };
  if (RATE_LIMITED.has(code))
    return {
      status: 429,
      headers: retryAfterHeader(e.retryAfterMs),
      body: problem(429, { ...ext, detail: 'Too many requests; retry later.' }),
      expected: true,
    };
  const raw = typeof e.status === 'number' ? e.status : e.statusCode;
  const status = typeof raw === 'number' && Number.isInteger(raw) && raw >= 400 && raw <= 599 ? raw : 500;
  if (status >= 500) return { status, headers: {}, body: problem(status, ext), expected: status !== 500 };
  // A 4xx carried by the error (http-errors, framework validation) is meant for the client unless `expose` says no.
  const detail = e.expose !== false && typeof e.message === 'string' && e.message !== '' ? e.message : undefined;
  const headers = status === 429 ? retryAfterHeader(e.retryAfterMs) : {};
  return { status, headers, body: problem(status, { ...ext, detail }), expected: true };
}
