// Writes a header plan onto a Node ServerResponse through its public header methods, just before the head goes out
// (Express through the head hook, Fastify from its onSend hook on the reply, which has the same four methods). See
// header-plan.ts for the rule.

import type { HeaderPlan } from './header-plan.js';
import { mergeVary } from './header-plan.js';

/** The header methods of Node's ServerResponse the writer uses (Fastify's reply maps onto them). */
export interface NodeHeaderTarget {
  hasHeader(name: string): boolean;
  getHeader(name: string): unknown;
  setHeader(name: string, value: string): unknown;
  removeHeader(name: string): unknown;
}

/**
 * Adds every header of `plan` that `res` does not carry, merges Vary, removes the plan's removals and, when
 * `closeConnection` (the request body has not fully arrived), adds `Connection: close`. Call it once, when the head
 * is about to be written; names are compared case-insensitively by the target.
 */
export function writePlanToNode(res: NodeHeaderTarget, plan: HeaderPlan, closeConnection: boolean): void {
  fill(res, plan.security);
  if (plan.own !== null) fill(res, plan.own);
  if (!Number.isNaN(plan.t0) && !res.hasHeader('x-response-time'))
    res.setHeader('x-response-time', plan.responseTime()!);
  if (plan.vary.length > 0) {
    const cur = res.getHeader('vary');
    res.setHeader('vary', mergeVary(cur === undefined ? undefined : String(cur), plan.vary));
  }
  const remove = plan.remove;
  for (let i = 0; i < remove.length; i++) if (res.hasHeader(remove[i]!)) res.removeHeader(remove[i]!);
  if (closeConnection) res.setHeader('connection', 'close');
}

function fill(res: NodeHeaderTarget, list: ReadonlyArray<readonly [string, string]>): void {
  for (let i = 0; i < list.length; i++) {
    const [name, value] = list[i]!;
    if (!res.hasHeader(name)) res.setHeader(name, value);
  }
}
