// Writes a header plan onto a Node ServerResponse through its public header methods, just before the head goes out
// (Express through the head hook, Fastify from its onSend hook on the reply, which has the same methods, Hono on
// @hono/node-server from the middleware). See header-plan.ts for the rule.

import { bodyPending } from './body-limit.js';
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

/**
 * {@link writePlanToNode} for the response to `req`, with rule 4 of header-plan.ts: when the request body has not
 * fully arrived, `Connection: close`, and the close lingers (node-head-hook.ts) so the client reads the answer.
 */
export function writePlanForRequest(
  res: NodeHeaderTarget,
  plan: HeaderPlan,
  req: Parameters<typeof bodyPending>[0] & { readonly socket?: LingerSocket | null | undefined },
): void {
  const close = bodyPending(req);
  writePlanToNode(res, plan, close);
  if (close) lingerOnClose(req.socket);
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
