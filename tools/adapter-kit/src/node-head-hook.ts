// The one place an adapter replaces a method of an object it is handed (Express only).
//
// Neither Node nor Express offers a public hook between a route's last header and the head going out, yet the plan
// must be written then (header-plan.ts: X-Response-Time, Vary merged with the route's, the removals, Connection:
// close for an unread body). So, as Express's own on-headers does, this wraps the public `writeHead` of one response;
// Node renders every head through it (`end()` and `write()` call `this.writeHead`). Fastify and Hono use their public
// hooks (onSend, the middleware's return) instead.
//
// Guarded: checked once per process by a self-test on a real ServerResponse (its `end()` must reach the wrapper while
// the head is still unsent). When the check fails, `onHead` returns false and the caller writes its plan before the
// route runs instead (less exact, nothing dropped), and `headHookProblem()` says why, for one log line.
//
// `discardLateWrites` belongs here for the same reason: after the timeout answered, a handler that still answers
// (`res.json()` from a timer) would throw ERR_HTTP_HEADERS_SENT where nothing catches it and end the process.

type WriteHead = (this: HookedResponse, ...args: unknown[]) => unknown;

/** The parts of Node's ServerResponse the hook uses. */
export interface HookedResponse {
  readonly headersSent: boolean;
  writeHead: WriteHead | ((...args: never[]) => unknown);
}

let verdict: string | null | undefined;

/** Why the head hook is unavailable in this process, or null when it works. Runs the self-test once. */
export function headHookProblem(): string | null {
  if (verdict === undefined) verdict = selfTest();
  return verdict;
}

function selfTest(): string | null {
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    ?.getBuiltinModule;
  if (typeof getBuiltin !== 'function') return 'process.getBuiltinModule is missing';
  try {
    const http = getBuiltin('node:http') as typeof import('node:http');
    const net = getBuiltin('node:net') as typeof import('node:net');
    const req = new http.IncomingMessage(new net.Socket());
    const res = new http.ServerResponse(req);
    let sentAtHook: boolean | undefined;
    install(res as unknown as HookedResponse, {
      onHead(r) {
        sentAtHook = r.headersSent;
        (r as unknown as import('node:http').ServerResponse).setHeader('x-self-test', '1');
      },
    });
    res.end('ok');
    if (sentAtHook !== false) return 'end() did not call the response writeHead before the head was sent';
    if (!res.headersSent || res.getHeader('x-self-test') !== '1') return 'the head was not written through the hook';
    return null;
  } catch (e) {
    return `self-test failed: ${String((e as Error)?.message ?? e)}`;
  }
}

/** What the hook calls: its `onHead(res)` method, once, before the head (an object, so no closure per request). */
export interface HeadListener<R> {
  onHead(res: R): void;
}

function install(res: HookedResponse, listener: HeadListener<HookedResponse>): void {
  const original = res.writeHead as WriteHead;
  let called = false;
  res.writeHead = function writeHead(this: HookedResponse, a?: unknown, b?: unknown, c?: unknown): unknown {
    // once: a second writeHead call (a framework retrying) goes straight to the original
    if (!called) {
      called = true;
      if (!this.headersSent) listener.onHead(this);
    }
    return original.call(this, a, b, c);
  };
}

/**
 * Calls `listener.onHead(res)` once, just before `res` writes its head (explicitly or from `write()`/`end()`). Returns
 * false, and installs nothing, when the self-test failed in this process (see `headHookProblem()`).
 */
export function onHead<R extends HookedResponse>(res: R, listener: HeadListener<R>): boolean {
  if (headHookProblem() !== null) return false;
  install(res, listener as unknown as HeadListener<HookedResponse>);
  return true;
}

const LATE_METHODS = [
  'setHeader',
  'setHeaders',
  'appendHeader',
  'removeHeader',
  'writeHead',
  'flushHeaders',
  'write',
  'end',
  'addTrailers',
  'writeContinue',
  'writeProcessing',
  'writeEarlyHints',
] as const;

/**
 * Makes every later write to `res` a no-op (its callback, if any, still runs): for a response the adapter has already
 * answered (the timeout's 503) while a handler may still write to it.
 */
export function discardLateWrites(res: object): void {
  const r = res as Record<string, unknown>;
  for (const m of LATE_METHODS) {
    if (typeof r[m] !== 'function') continue;
    r[m] = function discarded(...args: unknown[]): unknown {
      const cb = args[args.length - 1];
      if (typeof cb === 'function') queueMicrotask(() => (cb as () => void)());
      return m === 'write' ? true : res;
    };
  }
}
