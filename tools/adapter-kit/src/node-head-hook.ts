// The one place an adapter replaces a method of an object it is handed: `writeHead` (Express, and Hono on
// @hono/node-server), and a socket's `destroySoon` for the lingering close (all three adapters on Node; at the end).
//
// Neither Node nor Express offers a public hook between a route's last header and the head going out, yet the plan
// must be written then (header-plan.ts: X-Response-Time, Vary merged with the route's, the removals, Connection:
// close for an unread body). So, as Express's own on-headers does, this wraps the public `writeHead` of one response;
// Node renders every head through it (`end()` and `write()` call `this.writeHead`). Headers passed to `writeHead`
// itself go on the response first, through its public header methods and as Node documents the merge (they win over
// those set before), so the listener sees the response's final headers. Fastify uses its public onSend hook instead.
//
// Express sets each response's prototype per request (its documented extension point: `express.response`, under each
// app's `app.response`), which gives every response a map (V8 hidden class) of its own: an own `writeHead` added to
// such a response makes V8 build one more map per request, the largest single cost of the adapter on Express. So
// Express asks for the shared form (`onHead(res, listener, true)`): `writeHead` is defined once on the topmost
// prototype above ServerResponse.prototype (`express.response`, shared by every app in the process, as Express
// documents), and each response's listener is found in a WeakMap; a response with no listener goes straight to the
// original. A response whose `writeHead` is not that one (overridden above it) gets its own wrapper as before.
//
// Guarded: checked once per process by a self-test on a real ServerResponse, in both forms (its `end()` must reach the
// wrapper while the head is still unsent). When the check fails, `onHead` returns false and the caller writes its plan
// before the route runs instead (less exact, nothing dropped), and `headHookProblem()` says why, for one log line.
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
/** Node's http.ServerResponse, the only kind the self-test vouches for (an HTTP/2 compat response renders its head
 * without calling its writeHead). */
let ServerResponseClass: (new (...args: never[]) => object) | undefined;

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
    ServerResponseClass = http.ServerResponse;
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
    // headers passed to writeHead reach the listener, and win over those set before
    const res2 = new http.ServerResponse(req);
    let argAtHook: unknown;
    res2.setHeader('x-arg', 'before');
    install(res2 as unknown as HookedResponse, {
      onHead(r) {
        argAtHook = (r as unknown as import('node:http').ServerResponse).getHeader('x-arg');
      },
    });
    res2.writeHead(200, { 'x-arg': 'passed' }).end();
    if (argAtHook !== 'passed' || res2.getHeader('x-arg') !== 'passed')
      return 'headers passed to writeHead did not reach the listener';
    // the shared form: a framework prototype between the response and ServerResponse.prototype
    const proto = Object.create(http.ServerResponse.prototype) as object;
    const res3 = new http.ServerResponse(req);
    Object.setPrototypeOf(res3, proto);
    let sharedAtHook: boolean | undefined;
    const ok = onHeadShared(res3 as unknown as HookedResponse, proto, {
      onHead(r) {
        sharedAtHook = r.headersSent;
        (r as unknown as import('node:http').ServerResponse).setHeader('x-self-test', '3');
      },
    });
    res3.end('ok');
    if (!ok || sharedAtHook !== false || res3.getHeader('x-self-test') !== '3')
      return 'the head was not written through the shared hook';
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
    if (called) return original.call(this, a, b, c);
    called = true;
    return beforeHead(this, listener, original, a, b, c);
  };
}

/**
 * Runs the listener (unless the head is out already), with headers passed to `writeHead(status, [reason], [headers])`
 * put on the response first, then the original `writeHead` with the status (and reason).
 */
function beforeHead(
  res: HookedResponse,
  listener: HeadListener<HookedResponse>,
  original: WriteHead,
  a: unknown,
  b: unknown,
  c: unknown,
): unknown {
  if (!res.headersSent) {
    const passed = typeof b === 'string' ? c : b;
    if (typeof passed === 'object' && passed !== null && applyPassed(res as unknown as HeaderMethods, passed)) {
      if (typeof b === 'string') c = undefined;
      else b = undefined;
    }
    listener.onHead(res);
  }
  return original.call(res, a, b, c);
}

/** Listeners of responses hooked through a shared prototype, until their head is written (then removed: once). */
const pending = new WeakMap<object, HeadListener<HookedResponse>>();
/** Each framework prototype seen, to the shared `writeHead` found for it (null: none, hook each response). */
const sharedOf = new WeakMap<object, WriteHead | null>();

/**
 * The shared `writeHead` for responses whose prototype is `first`: defined once on the topmost prototype between
 * `first` and ServerResponse.prototype (made the first time). Null when `first` is ServerResponse.prototype itself (a
 * plain Node response: hooked one by one) or the chain does not reach it.
 */
function sharedWriteHead(first: object): WriteHead | null {
  const known = sharedOf.get(first);
  if (known !== undefined) return known;
  const base = ServerResponseClass!.prototype as object;
  let top: object | null = null;
  for (let p: object | null = first; p !== null && p !== base; p = Object.getPrototypeOf(p) as object | null)
    top = Object.getPrototypeOf(p) === base ? p : top;
  let w: WriteHead | null = null;
  if (top !== null) {
    const existing = Object.getOwnPropertyDescriptor(top, 'writeHead');
    if (existing !== undefined && typeof existing.value === 'function' && hooks.has(existing.value))
      w = existing.value as WriteHead;
    else if (existing === undefined || (existing.writable === true && typeof existing.value === 'function')) {
      // the original is looked up above `top` at each call: what `top` inherited (or its own, when it had one)
      const ownOriginal = existing?.value as WriteHead | undefined;
      const parent = Object.getPrototypeOf(top) as { writeHead: WriteHead };
      const hooked: WriteHead = function writeHead(this: HookedResponse, a?: unknown, b?: unknown, c?: unknown) {
        const original = ownOriginal ?? parent.writeHead;
        const listener = pending.get(this);
        if (listener === undefined) return original.call(this, a, b, c);
        pending.delete(this);
        return beforeHead(this, listener, original, a, b, c);
      };
      hooks.add(hooked);
      Object.defineProperty(top, 'writeHead', { value: hooked, writable: true, configurable: true, enumerable: false });
      w = hooked;
    }
  }
  sharedOf.set(first, w);
  return w;
}
/** The shared wrappers this module made: another app's prototype under the same top finds its wrapper there. */
const hooks = new WeakSet<WriteHead>();

/**
 * The shared form of {@link onHead} for `res` whose prototype is `first`: false when there is no shared prototype or
 * `res.writeHead` is not the shared wrapper (overridden above it); the caller then hooks the response itself.
 */
function onHeadShared(res: HookedResponse, first: object, listener: HeadListener<HookedResponse>): boolean {
  const w = sharedWriteHead(first);
  if (w === null || res.writeHead !== w) return false;
  // a second instance on the same response (an app mounted in an app, each with the middleware) runs first, as its
  // wrapper would when wrapping the first one's
  const earlier = pending.get(res);
  pending.set(res, earlier === undefined ? listener : new Both(listener, earlier));
  return true;
}

/** Two listeners of one response, the later one first. */
class Both implements HeadListener<HookedResponse> {
  constructor(
    readonly first: HeadListener<HookedResponse>,
    readonly then: HeadListener<HookedResponse>,
  ) {}
  onHead(res: HookedResponse): void {
    this.first.onHead(res);
    this.then.onHead(res);
  }
}

/** The public header methods of a ServerResponse that passed headers go through. */
interface HeaderMethods {
  setHeader(name: string, value: unknown): unknown;
  appendHeader(name: string, value: unknown): unknown;
  removeHeader(name: string): unknown;
}

/**
 * Puts headers passed to `writeHead` on the response as Node's own writeHead does when headers were set before: an
 * object's through `setHeader`, a flat `[name, value, ...]` array's through `removeHeader` then `appendHeader` (its
 * duplicates kept). Returns false, changing nothing, for a shape Node would refuse (odd length): Node's writeHead then
 * throws its own error.
 */
function applyPassed(res: HeaderMethods, passed: object): boolean {
  if (Array.isArray(passed)) {
    if (passed.length % 2 !== 0 || typeof res.appendHeader !== 'function') return false;
    for (let n = 0; n < passed.length; n += 2) res.removeHeader(passed[n]);
    for (let n = 0; n < passed.length; n += 2) if (passed[n]) res.appendHeader(passed[n], passed[n + 1]);
    return true;
  }
  const record = passed as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) if (keys[i]) res.setHeader(keys[i]!, record[keys[i]!]);
  return true;
}

/**
 * Calls `listener.onHead(res)` once, just before `res` writes its head (explicitly or from `write()`/`end()`). Returns
 * false, and installs nothing, when the self-test failed in this process (see `headHookProblem()`) or `res` is not a
 * Node `http.ServerResponse` (an HTTP/2 compat response): the caller then writes its plan its own way.
 * `shared`: the framework sets each response's prototype to one of its own (Express): hook through the topmost of
 * them, once, instead of through the response (see the top of this module); a plain Node response is hooked itself.
 */
export function onHead<R extends HookedResponse>(res: R, listener: HeadListener<R>, shared = false): boolean {
  if (headHookProblem() !== null || !(res instanceof ServerResponseClass!)) return false;
  const l = listener as unknown as HeadListener<HookedResponse>;
  const first = Object.getPrototypeOf(res) as object;
  if (!shared || first === ServerResponseClass!.prototype || !onHeadShared(res, first, l)) install(res, l);
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

// Lingering close (as nginx's `lingering_close`): the other method this module replaces, a socket's `destroySoon`.
//
// A response written before the request body has arrived goes out with `Connection: close` (header-plan.ts, rule 4),
// and Node then ends the connection with `socket.destroySoon()`: a FIN after the answer, and the descriptor closed as
// soon as that is flushed. A client still uploading keeps sending into a closed socket, and the kernel answers with a
// reset, which can reach the client before it has read the answer (undici then reports EPIPE, not the 413). So for
// such a connection the close waits: after the FIN, what the client still sends is read and dropped (Node's parser
// dumps a body nobody reads), until the client ends its side, LINGER_BYTES more have arrived, or LINGER_MS have
// passed; then the socket is destroyed. A body nobody reads is still never read to its end.
//
// `destroySoon` is not a documented method of net.Socket: it is replaced on one socket only, only when the socket has
// one (else Node closes as before: nothing is lost but the linger), and the conformance suite checks the answer
// arrives intact on Node 20, 22 and 24.

/** At most this long (ms) between the answer's FIN and the close. */
export const LINGER_MS: number = 2_000;
/** At most this many bytes read and dropped after the answer before the close. */
export const LINGER_BYTES: number = 4 * 1024 * 1024;

/** The parts of Node's net.Socket used here. */
export interface LingerSocket {
  readonly destroyed: boolean;
  readonly writable: boolean;
  readonly bytesRead: number;
  readonly readableEnded: boolean;
  destroySoon?: (() => void) | undefined;
  end(): unknown;
  destroy(): unknown;
  once(event: 'end' | 'close', listener: () => void): unknown;
}

const armed = new WeakSet<object>();

/**
 * Makes Node's close of `socket` after a `Connection: close` answer a lingering one (see above). Call it when such an
 * answer's head is written; a socket without `destroySoon` (not Node's) is left alone. Returns whether it was armed.
 */
export function lingerOnClose(socket: LingerSocket | null | undefined): boolean {
  if (socket === null || socket === undefined || socket.destroyed || typeof socket.destroySoon !== 'function')
    return false;
  if (armed.has(socket)) return true;
  armed.add(socket);
  socket.destroySoon = function lingeringDestroySoon(this: LingerSocket): void {
    // what Node's destroySoon does first: the FIN once the answer is flushed
    if (this.writable) this.end();
    const from = this.bytesRead;
    const stop = (): void => {
      clearTimeout(timer);
      clearInterval(watch);
      if (!this.destroyed) this.destroy();
    };
    const timer = setTimeout(stop, LINGER_MS);
    const watch = setInterval(() => {
      if (this.bytesRead - from > LINGER_BYTES) stop();
    }, 25);
    // the socket itself keeps the process up while it lingers; the timers need not
    timer.unref?.();
    watch.unref?.();
    if (this.readableEnded) stop();
    else {
      this.once('end', stop);
      this.once('close', stop);
    }
  };
  return true;
}
