// Writes a header plan onto a Node ServerResponse through its public header methods, just before the head goes out
// (Express through the head hook, Fastify from its onSend hook on the reply, which has the same methods, Hono on
// @hono/node-server from the middleware). See header-plan.ts for the rule.

import { type BodyRequest, bodyPending, isHttp2 } from './body-limit.js';
import type { HeaderPlan } from './header-plan.js';
import { headerKey, mergeVary } from './header-plan.js';
import { type LingerSocket, lingerOnClose } from './node-head-hook.js';

/** The header methods of Node's ServerResponse the writer uses (Fastify's reply maps onto them). */
export interface NodeHeaderTarget {
  /** The lower-case names of the headers set so far. */
  getHeaderNames(): string[];
  getHeader(name: string): unknown;
  setHeader(name: string, value: string): unknown;
  removeHeader(name: string): unknown;
}

/**
 * Adds every header of `plan` that `res` does not carry, merges Vary, removes the plan's removals and, when
 * `closeConnection` (the request body has not fully arrived), adds `Connection: close`. Call it once, when the head
 * is about to be written.
 */
export function writePlanToNode(res: NodeHeaderTarget, plan: HeaderPlan, closeConnection: boolean): void {
  // one snapshot of what the route set: a few names, looked up per plan header
  const taken = res.getHeaderNames();
  fill(res, taken, plan.security, false);
  if (plan.own !== null) fill(res, taken, plan.own, true);
  if (!Number.isNaN(plan.t0) && !taken.includes('x-response-time'))
    res.setHeader('x-response-time', plan.responseTime()!);
  if (plan.vary.length > 0) {
    const cur = taken.includes('vary') ? res.getHeader('vary') : undefined;
    res.setHeader('vary', mergeVary(cur === undefined ? undefined : String(cur), plan.vary));
  }
  const remove = plan.remove;
  for (let i = 0; i < remove.length; i++) if (taken.includes(remove[i]!)) res.removeHeader(remove[i]!);
  if (closeConnection) res.setHeader('connection', 'close');
}

/** The parts of node:http2's Http2Stream (`Http2ServerRequest.stream`) rule 4 uses: its public `close()`. */
export interface ClosableStream {
  readonly closed: boolean;
  readonly writableFinished: boolean;
  once(event: 'finish', listener: () => void): unknown;
  close(code?: number): unknown;
}

/** What rule 4 reads of the request: HTTP/1.x (node:http) or HTTP/2 (node:http2's compatibility API). */
export type RuleFourRequest = BodyRequest & {
  readonly socket?: LingerSocket | null | undefined;
  readonly stream?: (ClosableStream & { readonly endAfterHeaders?: boolean }) | undefined;
};

/**
 * Whether the answer to `req` may carry `Connection: close`: not over HTTP/2, which forbids connection-specific
 * headers (RFC 9113 8.2.2; node:http2 drops one with a process warning) and ends an unfinished upload per stream.
 */
export function mayCloseConnection(req: { readonly httpVersionMajor?: number } | undefined): boolean {
  return !isHttp2(req);
}

/** RST_STREAM NO_ERROR (node:http2's `constants.NGHTTP2_NO_ERROR`). */
const NO_ERROR = 0;

/**
 * {@link writePlanToNode} for the response to `req`, with rule 4 of header-plan.ts: when the request body has not
 * fully arrived, over HTTP/1.x `Connection: close`, and the close lingers (node-head-hook.ts) so the client reads the
 * answer; over HTTP/2 the stream is closed with NO_ERROR once the answer is sent (RFC 9113 8.1: "stop sending"), and
 * the connection's other streams go on. Node does that itself only for a body nobody started to read.
 */
export function writePlanForRequest(res: NodeHeaderTarget, plan: HeaderPlan, req: RuleFourRequest): void {
  const pending = bodyPending(req);
  const h1 = mayCloseConnection(req);
  writePlanToNode(res, plan, pending && h1);
  if (!pending) return;
  if (h1) lingerOnClose(req.socket);
  else closeStreamWhenAnswered(req.stream);
}

function closeStreamWhenAnswered(stream: ClosableStream | undefined): void {
  if (stream === undefined || stream === null || typeof stream.close !== 'function' || stream.closed) return;
  const close = (): void => {
    if (!stream.closed) stream.close(NO_ERROR);
  };
  if (stream.writableFinished) close();
  else stream.once('finish', close);
}

// Names go out in lower case, interned (headerKey): Node's setHeader and Fastify's header() lower-case every name
// they are given, and a name that is already lower case and interned costs them no new string and no string-table
// lookup. Lower case is also what the Fetch writer sends (Headers normalises names). The plan's security list is
// lower case already (PlanPolicy); `lower` does it for the request's own headers.
function fill(
  res: NodeHeaderTarget,
  taken: readonly string[],
  list: ReadonlyArray<readonly [string, string]>,
  lower: boolean,
): void {
  const none = taken.length === 0;
  for (let i = 0; i < list.length; i++) {
    const pair = list[i]!;
    const name = lower ? headerKey(pair[0]) : pair[0];
    if (none || !taken.includes(name)) res.setHeader(name, pair[1]);
  }
}
