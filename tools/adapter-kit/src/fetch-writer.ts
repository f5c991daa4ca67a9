// Writes a header plan onto a Fetch Response through the Headers API (Hono on Bun, Deno, workers, app.request()). See
// header-plan.ts for the rule. On @hono/node-server the plan goes on the Node response (node-writer.ts) and only the
// part of the rule that needs the route's own headers is done here (writeRouteFixups).

import type { HeaderPlan } from './header-plan.js';
import { mergeVary } from './header-plan.js';

/**
 * Adds every header of `plan` that `res` does not carry, merges Vary, removes the plan's removals and, when
 * `closeConnection` (the request's body was never read), adds `Connection: close` where the runtime honours it.
 * Returns the response to send: `res` itself, or a copy when its headers cannot be changed (a Response from
 * `fetch()`, `Response.redirect()`), so nothing of the plan is ever dropped.
 */
export function writePlanToFetch(res: Response, plan: HeaderPlan, closeConnection: boolean): Response {
  return onHeaders(res, (h) => {
    fill(h, plan.security);
    if (plan.own !== null) fill(h, plan.own);
    if (!Number.isNaN(plan.t0) && !h.has('x-response-time')) h.set('x-response-time', plan.responseTime()!);
    mergeAndRemove(h, plan);
    if (closeConnection) setConnectionClose(h);
  });
}

/**
 * The part of the rule that must see the route's own headers when the rest of the plan went elsewhere (the Node
 * response on @hono/node-server): Vary merged into the route's Vary, the removals applied to the route's headers.
 */
export function writeRouteFixups(res: Response, plan: HeaderPlan): Response {
  if (plan.vary.length === 0 && plan.remove.length === 0) return res;
  return onHeaders(res, (h) => {
    if (plan.vary.length > 0 && h.has('vary')) h.set('vary', mergeVary(h.get('vary')!, plan.vary));
    const remove = plan.remove;
    for (let i = 0; i < remove.length; i++) if (h.has(remove[i]!)) h.delete(remove[i]!);
  });
}

/** `Connection: close`, where the runtime lets a response carry it (a hop-by-hop header some runtimes refuse). */
function setConnectionClose(h: Headers): void {
  try {
    h.set('connection', 'close');
  } catch {
    // the runtime manages its connections itself
  }
}

/** Runs `write` on `res`'s headers, or on a copy's when they cannot be changed; returns the response to send. */
function onHeaders(res: Response, write: (h: Headers) => void): Response {
  try {
    write(res.headers);
    return res;
  } catch {
    // immutable headers: the first set() threw before anything changed; copy the response once and write the copy
    const copy = new Response(res.body, res);
    write(copy.headers);
    return copy;
  }
}

function mergeAndRemove(h: Headers, plan: HeaderPlan): void {
  if (plan.vary.length > 0) h.set('vary', mergeVary(h.get('vary') ?? undefined, plan.vary));
  const remove = plan.remove;
  for (let i = 0; i < remove.length; i++) h.delete(remove[i]!);
}

function fill(h: Headers, list: ReadonlyArray<readonly [string, string]>): void {
  for (let i = 0; i < list.length; i++) {
    const [name, value] = list[i]!;
    if (!h.has(name)) h.set(name, value);
  }
}
