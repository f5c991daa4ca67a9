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
  /** Extension: a stable machine-readable code (`ERR_RATE_LIMITED`, `ERR_IP_DENIED`, ...), on every problem the adapters send. */
  code?: string;
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
/** Malformed bodies, as each framework's parser reports them (body-parser by `type`, Fastify by `code`). */
const MALFORMED = new Set(['ERR_MALFORMED_BODY', 'FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_JSON_BODY']);

/** What a thrown error's `code` must look like to be sent to the client (ERR_CIRCUIT_OPEN, FST_ERR_VALIDATION). */
const CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

const statusCodes = new Map<number, string>();
/** The code of a problem whose error carries none: from the status's title (`ERR_CONFLICT`), else `ERR_HTTP_<status>`. */
export function codeForStatus(status: number): string {
  if (status === 500) return 'ERR_INTERNAL';
  let c = statusCodes.get(status);
  if (c === undefined) {
    const title = STATUS_TITLES[status];
    c = title === undefined ? `ERR_HTTP_${status}` : `ERR_${title.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
    statusCodes.set(status, c);
  }
  return c;
}

/**
 * Maps a thrown value to a problem response. Every body carries a stable `code` (RFC 9457 extension member): the
 * error's own `code` for the errors the adapters know and for any 4xx or deliberate 5xx error that carries one, the
 * adapters' code for their own refusals (`ERR_RATE_LIMITED`, `ERR_BODY_TOO_LARGE`, `ERR_MALFORMED_BODY`, ...), else
 * one derived from the status (`ERR_NOT_FOUND`, `ERR_CONFLICT`). Unexpected errors become a bare 500 with code
 * `ERR_INTERNAL`: no message, no stack, not their own code.
 */
export function problemForError(
  err: unknown,
  ctx: { requestId?: string | undefined; instance?: string | undefined },
): ProblemResponse {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const code = typeof e.code === 'string' ? e.code : '';
  const ext = { instance: ctx.instance, requestId: ctx.requestId };
  const answer = (status: number, c: string, detail?: string, headers: Record<string, string> = {}) => ({
    status,
    headers,
    body: problem(status, { detail, code: c, ...ext }),
    expected: true,
  });
  // a server-side misconfiguration the adapter has reported itself (see rateKey): a bare 500, logged once by it
  if (code === 'ERR_NO_CLIENT_ADDRESS') return answer(500, 'ERR_INTERNAL');
  if (code === 'ERR_REQUEST_TIMEOUT') return answer(e.status === 504 ? 504 : 503, code, 'The request took too long.');
  if (UNAVAILABLE.has(code))
    return answer(503, code, 'A dependency is unavailable; retry later.', retryAfterHeader(e.retryAfterMs));
  if (code === 'ERR_CIRCUIT_TIMEOUT' || code === 'ERR_ATTEMPT_TIMEOUT')
    return answer(504, code, 'A dependency did not answer in time.');
  if (TOO_LARGE.has(code) || e.type === 'entity.too.large')
    return answer(413, 'ERR_BODY_TOO_LARGE', 'The request body is too large.');
  if (RATE_LIMITED.has(code))
    return answer(429, 'ERR_RATE_LIMITED', 'Too many requests; retry later.', retryAfterHeader(e.retryAfterMs));
  const raw = typeof e.status === 'number' ? e.status : e.statusCode;
  const status = typeof raw === 'number' && Number.isInteger(raw) && raw >= 400 && raw <= 599 ? raw : 500;
  if (status === 500)
    return { status, headers: {}, body: problem(500, { code: 'ERR_INTERNAL', ...ext }), expected: false };
  const own = CODE.test(code) ? code : codeForStatus(status);
  if (status > 500) return answer(status, own);
  // A 4xx carried by the error (http-errors, framework validation) is meant for the client unless `expose` says no.
  const detail = e.expose !== false && typeof e.message === 'string' && e.message !== '' ? e.message : undefined;
  if (status === 400 && (MALFORMED.has(code) || e.type === 'entity.parse.failed'))
    return answer(400, 'ERR_MALFORMED_BODY', detail);
  return answer(status, own, detail, status === 429 ? retryAfterHeader(e.retryAfterMs) : {});
}
