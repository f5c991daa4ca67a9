// The path of a request through an adapter (@org/express, @org/fastify, @org/hono with tools/adapter-kit): which step
// answers with which status, which headers each step decides, what is logged. The adapters are being redesigned:
// to change the picture, edit REQUEST_PATH below (the drawing is generic). test/pictures.test.ts sends real requests
// to the three adapters (tools/conformance's apps) for every answer listed here, and checks the headers listed.
import { arrow, box, COLORS, pill, svgDocument, text, wrap } from '../lib/svg.js';

/** A response a step can send instead of passing the request on. */
export interface Answer {
  status: number;
  /** When it answers. */
  when: string;
  /** Headers that response carries because of this step (lower case). */
  headers?: readonly string[];
  /** Its body: an RFC 9457 problem, a health document, or nothing. */
  body: 'problem+json' | 'health+json' | 'empty';
}

/** One step of the path. */
export interface PathStep {
  id: string;
  /** Short name, shown in the box. */
  name: string;
  /** What it does, one or two lines. */
  does: string;
  /** Responses this step can send. */
  answers?: readonly Answer[];
  /** Headers this step decides for the response (they are written with the head, see the last steps). */
  sets?: readonly string[];
  /** Where the frameworks differ. */
  note?: string;
}

export const REQUEST_PATH: readonly PathStep[] = [
  {
    id: 'request-id',
    name: 'Request id',
    does: 'keeps a valid incoming X-Request-Id (1–128 safe characters), else makes a UUIDv4',
    sets: ['x-request-id'],
  },
  {
    id: 'client-ip',
    name: 'Client address',
    does: 'the socket peer, walked back through X-Forwarded-For while each hop is a trusted proxy (trustProxy)',
  },
  {
    id: 'security-headers',
    name: 'Security headers',
    does: 'the list compiled by securityHeaders(), with a fresh CSP nonce per response; a header the route sets itself wins',
    sets: ['content-security-policy', 'strict-transport-security', 'x-content-type-options'],
  },
  {
    id: 'cors',
    name: 'CORS',
    does: 'cors().handle(): preflights are answered here, other requests go on with their CORS headers',
    answers: [
      {
        status: 204,
        when: 'allowed preflight',
        headers: ['access-control-allow-origin', 'access-control-allow-methods'],
        body: 'empty',
      },
      { status: 403, when: 'refused preflight (no Access-Control-Allow-Origin)', body: 'empty' },
    ],
    sets: ['access-control-allow-origin', 'vary'],
  },
  {
    id: 'health',
    name: 'Health routes',
    does: '/livez /readyz /startupz /health answer from @org/health (application/health+json), never rate limited',
    answers: [
      { status: 200, when: 'the probe passes', headers: ['content-type', 'cache-control'], body: 'health+json' },
      {
        status: 503,
        when: 'it fails: a critical check fails, or readiness while draining',
        headers: ['cache-control'],
        body: 'health+json',
      },
    ],
  },
  {
    id: 'body-declared',
    name: 'Declared body size',
    does: 'a Content-Length above bodyLimit is refused before a byte of the body is read',
    answers: [
      {
        status: 413,
        when: 'Content-Length > bodyLimit; Connection: close',
        headers: ['connection'],
        body: 'problem+json',
      },
    ],
    note: 'Express refuses it here; Fastify and Hono when the body is read, after the rate limit',
  },
  {
    id: 'rate-limit',
    name: 'Rate limit',
    does: 'consume() one token for the client (its IP, IPv6 by /56); every decision adds its RateLimit headers',
    answers: [
      {
        status: 429,
        when: 'over the limit',
        headers: ['retry-after', 'ratelimit', 'ratelimit-policy'],
        body: 'problem+json',
      },
    ],
    sets: ['ratelimit-policy', 'ratelimit'],
  },
  {
    id: 'timeout',
    name: 'Request timeout',
    does: 'the handler has timeoutMs to write its head; its signal aborts then',
    answers: [{ status: 503, when: 'no head written within timeoutMs', headers: ['ratelimit'], body: 'problem+json' }],
  },
  {
    id: 'handler',
    name: 'Your route',
    does: 'runs with the request id, nonce and signal; a body streamed without Content-Length is counted as it arrives',
    answers: [
      {
        status: 413,
        when: 'a streamed body crosses bodyLimit; Connection: close',
        headers: ['connection'],
        body: 'problem+json',
      },
    ],
  },
  {
    id: 'errors',
    name: 'Error handler',
    does: 'RFC 9457 application/problem+json; an unexpected error is a bare 500 (message and stack only in the log)',
    answers: [
      {
        status: 503,
        when: 'open circuit or full bulkhead: Retry-After',
        headers: ['retry-after'],
        body: 'problem+json',
      },
      { status: 500, when: 'any other error: no message, no stack', body: 'problem+json' },
      { status: 404, when: 'no route', body: 'problem+json' },
    ],
  },
  {
    id: 'head',
    name: 'Head written',
    does: 'the decided headers are added as the head goes out, on every response above: security headers (unless the route set its own), X-Response-Time, Vary merged with the route’s',
    sets: ['x-response-time'],
  },
  {
    id: 'log',
    name: 'Response closed',
    does: "one line 'request completed' { requestId, method, path, status, durationMs, ip, aborted? }: info below 400, warn for 4xx, error for 5xx; a bare 500 also logs 'unhandled error' with the error",
  },
];

const W = 980;
const COL1 = 20;
const COL1_W = 330;
const COL2 = 380;
const COL2_W = 330;
const COL3 = 740;
const GAP = 22;

const tone = (status: number): [string, string] =>
  status < 300
    ? [COLORS.okFill, COLORS.ok]
    : status < 500
      ? [COLORS.warnFill, COLORS.warn]
      : [COLORS.badFill, COLORS.bad];

/** The SVG of the request path. */
export function adapterPathSvg(): string {
  const body: string[] = [];
  body.push(text(COL1, 26, 'step', { size: 12, weight: 'bold', fill: COLORS.muted }));
  body.push(text(COL2, 26, 'answers instead of going on', { size: 12, weight: 'bold', fill: COLORS.muted }));
  body.push(text(COL3, 26, 'headers it decides', { size: 12, weight: 'bold', fill: COLORS.muted }));
  let y = 40;
  REQUEST_PATH.forEach((s, i) => {
    const does = wrap(s.does, COL1_W - 24, 11);
    const note = s.note ? wrap(`Note: ${s.note}`, COL1_W - 24, 11) : [];
    const answers = (s.answers ?? []).map((a) => ({ a, lines: wrap(a.when, COL2_W - 70, 11) }));
    const h1 = 34 + does.length * 14 + (note.length ? 4 + note.length * 14 : 0);
    const h2 = answers.reduce((n, x) => n + Math.max(24, x.lines.length * 14 + 8), 0);
    const h3 = (s.sets?.length ?? 0) * 16;
    const h = Math.max(h1, h2 + 8, h3 + 12);
    const last = i >= REQUEST_PATH.length - 2;
    body.push(
      box(COL1, y, COL1_W, h, {
        fill: last ? COLORS.infoFill : COLORS.panel,
        stroke: last ? COLORS.info : COLORS.line,
      }),
    );
    body.push(text(COL1 + 12, y + 20, `${i + 1}. ${s.name}`, { size: 13, weight: 'bold' }));
    body.push(text(COL1 + 12, y + 38, does, { size: 11, fill: COLORS.ink, leading: 14 }));
    if (note.length)
      body.push(text(COL1 + 12, y + 42 + does.length * 14, note, { size: 11, fill: COLORS.warn, leading: 14 }));
    let ay = y + 4;
    for (const { a, lines } of answers) {
      const [fill, color] = tone(a.status);
      body.push(arrow(`M ${COL1 + COL1_W} ${ay + 11} L ${COL2 - 4} ${ay + 11}`, { color }));
      const p = pill(COL2, ay, String(a.status), fill, color);
      body.push(p.svg);
      body.push(text(COL2 + p.w + 8, ay + 15, lines, { size: 11, leading: 14 }));
      ay += Math.max(24, lines.length * 14 + 8);
    }
    (s.sets ?? []).forEach((hname, k) => {
      body.push(text(COL3, y + 18 + k * 16, hname, { size: 11, mono: true, fill: COLORS.info }));
    });
    y += h;
    if (i < REQUEST_PATH.length - 1) {
      body.push(arrow(`M ${COL1 + 40} ${y} L ${COL1 + 40} ${y + GAP - 2}`, { color: COLORS.line }));
      y += GAP;
    }
  });
  y += 20;
  const foot = wrap(
    'Responses sent by a step still go through steps 11 and 12: they carry the request id, the security headers and X-Response-Time, and they are logged. Problem responses (413, 429, 503, 500, 404) are application/problem+json with Cache-Control: no-store and the request id in the body.',
    W - 40,
    11,
  );
  body.push(text(COL1, y, foot, { size: 11, fill: COLORS.muted, leading: 14 }));
  const H = y + foot.length * 14 + 10;
  return svgDocument(
    W,
    H,
    'The path of a request through an adapter',
    'Each step of @org/express, @org/fastify and @org/hono in order: the status codes a step answers with (204, 403, 503, 413, 429, 500, 404), the headers it decides, and the log line written when the response closes.',
    body,
  );
}
