/**
 * Logging never throws on data: whatever a caller passes as fields, message, bindings or context — revoked Proxies,
 * Proxies whose every trap throws, throwing getters and toJSON, Symbol keys, cyclic, huge and exponentially shared
 * structures — every call returns normally and writes exactly one valid JSON line, through the plain path and inside
 * withContext. Values are built inside the property from printable recipes, so fast-check can report and shrink a
 * failure without touching a hostile value itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger, type Fields, type Logger, type LoggerOptions, memorySink, withContext } from './index.js';

const TRAPS = [
  'getPrototypeOf',
  'setPrototypeOf',
  'isExtensible',
  'preventExtensions',
  'getOwnPropertyDescriptor',
  'defineProperty',
  'has',
  'get',
  'set',
  'deleteProperty',
  'ownKeys',
  'apply',
  'construct',
] as const;
type Trap = (typeof TRAPS)[number];
/** What a hostile trap, getter or toJSON throws: hostile values themselves among them. */
type Thrown = 'error' | 'string' | 'undefined' | 'symbol' | 'revoked' | 'hostileError' | 'nullProto';
type Target = 'object' | 'array' | 'function' | 'error' | 'map' | 'date';
type Huge = 'wide' | 'long' | 'string' | 'deep' | 'sparse' | 'dag' | 'lazy';

type Recipe =
  | { k: 'any'; v: unknown }
  | { k: 'revoked'; target: Target }
  | { k: 'trap'; traps: Trap[]; after: number; target: Target; thrown: Thrown; inner: Recipe[] }
  | { k: 'getter'; thrown: Thrown; inner: Recipe[] }
  | { k: 'toJSON'; mode: 'throws' | 'self' | 'fresh' | 'nested' | 'hostile'; thrown: Thrown }
  | { k: 'symbols'; inner: Recipe[] }
  | { k: 'cycle'; inner: Recipe[] }
  | { k: 'error'; thrown: Thrown; inner: Recipe[] }
  | { k: 'map'; inner: Recipe[] }
  | { k: 'huge'; what: Huge }
  | { k: 'obj'; inner: [string, Recipe][] }
  | { k: 'arr'; inner: Recipe[] };

function throwable(t: Thrown): unknown {
  switch (t) {
    case 'error':
      return new Error('trap blew up');
    case 'string':
      return 'a thrown string';
    case 'undefined':
      return undefined;
    case 'symbol':
      return Symbol('thrown');
    case 'revoked':
      return revoked('object');
    case 'nullProto':
      return Object.create(null);
    case 'hostileError':
      return allTraps(new Error('hostile'), 'string');
  }
}

function target(t: Target): object {
  switch (t) {
    case 'object':
      return { a: 1, b: 'two' };
    case 'array':
      return [1, 'two'];
    case 'function':
      return function f() {};
    case 'error':
      return new Error('target');
    case 'map':
      return new Map([['k', 1]]);
    case 'date':
      return new Date(0);
  }
}

function revoked(t: Target): object {
  const r = Proxy.revocable(target(t), {});
  r.revoke();
  return r.proxy;
}

/** A Proxy whose every trap throws. */
function allTraps(t: object, thrown: Thrown): object {
  const handler: ProxyHandler<object> = {};
  for (const name of TRAPS) {
    (handler as Record<string, unknown>)[name] = () => {
      throw throwable(thrown);
    };
  }
  return new Proxy(t, handler);
}

const HUGE_STRING = 'x'.repeat(1_000_000);
const WIDE: Fields = Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`k${i}`, i]));
const LONG: number[] = Array.from({ length: 10_000 }, (_, i) => i);
const DEEP: Fields = (() => {
  let o: Fields = { end: true };
  for (let i = 0; i < 100_000; i++) o = { next: o };
  return o;
})();

/** A DAG: `fanOut` keys at every level all pointing to the same child. Shared, not cyclic, so JSON expands it. */
function dag(fanOut: number, depth: number): Fields {
  let node: Fields = { leaf: 'v' };
  for (let d = 0; d < depth; d++) {
    const next: Fields = {};
    for (let i = 0; i < fanOut; i++) next[`k${i}`] = node;
    node = next;
  }
  return node;
}
/** An endless tree made on demand: every key of every node is a fresh node with the same keys. */
function lazy(fanOut: number, reads: { n: number }): object {
  const keys = Array.from({ length: fanOut }, (_, i) => `k${i}`);
  const make = (): object =>
    new Proxy(
      {},
      {
        ownKeys: () => keys,
        getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true, writable: true, value: undefined }),
        get: (_t, k) => {
          reads.n++;
          return typeof k === 'string' && k.startsWith('k') ? make() : undefined;
        },
      },
    );
  return make();
}

function build(r: Recipe): unknown {
  switch (r.k) {
    case 'any':
      return r.v;
    case 'revoked':
      return revoked(r.target);
    case 'trap': {
      const t = target(r.target);
      if (r.target === 'object') for (const [i, x] of r.inner.entries()) (t as Fields)[`p${i}`] = build(x);
      let calls = 0;
      const handler: ProxyHandler<object> = {};
      for (const name of r.traps) {
        (handler as Record<string, unknown>)[name] = (...args: unknown[]) => {
          // `after` calls succeed first: a trap that throws only on a second look (the merge path looks twice)
          if (calls++ >= r.after) throw throwable(r.thrown);
          return (Reflect[name] as (...a: unknown[]) => unknown)(...args);
        };
      }
      return new Proxy(t, handler);
    }
    case 'getter': {
      const o: Fields = {};
      for (const [i, x] of r.inner.entries()) o[`g${i}`] = build(x);
      Object.defineProperty(o, 'bad', {
        enumerable: true,
        get() {
          throw throwable(r.thrown);
        },
      });
      return o;
    }
    case 'toJSON':
      switch (r.mode) {
        case 'throws':
          return {
            toJSON() {
              throw throwable(r.thrown);
            },
          };
        case 'self':
          return {
            a: 1,
            toJSON() {
              return this;
            },
          };
        case 'fresh': {
          // every result has a toJSON of its own that makes another one
          const make = (): object => ({ a: 1, toJSON: make });
          return make();
        }
        case 'nested':
          return { toJSON: () => ({ toJSON: () => ({ toJSON: () => 'deep' }) }) };
        case 'hostile':
          return { toJSON: () => allTraps({}, r.thrown) };
      }
      break;
    case 'symbols': {
      const o: Fields = { plain: 1 };
      for (const [i, x] of r.inner.entries()) (o as Record<symbol, unknown>)[Symbol(`s${i}`)] = build(x);
      (o as Record<symbol, unknown>)[Symbol.toPrimitive] = () => {
        throw new Error('no primitive');
      };
      (o as Record<symbol, unknown>)[Symbol.iterator] = () => {
        throw new Error('no iterator');
      };
      return o;
    }
    case 'cycle': {
      const o: Fields = {};
      const a: unknown[] = [o];
      o.self = o;
      o.arr = a;
      a.push(a);
      for (const [i, x] of r.inner.entries()) o[`c${i}`] = build(x);
      const m = new Map<unknown, unknown>([[o, o]]);
      o.map = m;
      m.set('m', m);
      return o;
    }
    case 'error': {
      const e = new Error('outer', { cause: build(r.inner[0] ?? { k: 'any', v: null }) }) as Error & Fields;
      for (const [i, x] of r.inner.entries()) e[`e${i}`] = build(x);
      Object.defineProperty(e, 'bad', {
        enumerable: true,
        get() {
          throw throwable(r.thrown);
        },
      });
      Object.defineProperty(e, '__proto__', { value: { polluted: true }, enumerable: true });
      e.self = e;
      return e;
    }
    case 'map':
      return new Map<unknown, unknown>(r.inner.map((x, i) => [i % 2 ? build(x) : `m${i}`, build(x)]));
    case 'huge':
      switch (r.what) {
        case 'wide':
          return WIDE;
        case 'long':
          return LONG;
        case 'string':
          return HUGE_STRING;
        case 'deep':
          return DEEP;
        case 'sparse':
          return new Array(2 ** 32 - 1);
        // small ones here (2^10 objects at the default maxDepth); the exponential ones have their own test below
        case 'dag':
          return dag(2, 14);
        case 'lazy':
          return lazy(2, { n: 0 });
      }
      break;
    case 'obj': {
      const o: Fields = {};
      for (const [key, x] of r.inner) {
        Object.defineProperty(o, key, { value: build(x), enumerable: true, configurable: true });
      }
      return o;
    }
    case 'arr':
      return r.inner.map(build);
  }
}

const thrownArb = fc.constantFrom<Thrown>(
  'error',
  'string',
  'undefined',
  'symbol',
  'revoked',
  'hostileError',
  'nullProto',
);
const targetArb = fc.constantFrom<Target>('object', 'array', 'function', 'error', 'map', 'date');
const anyArb = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
  maxDepth: 3,
});
const recipe: fc.Arbitrary<Recipe> = fc.letrec<{ r: Recipe }>((tie) => {
  const inner = fc.array(tie('r'), { maxLength: 3 });
  return {
    r: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      anyArb.map((v): Recipe => ({ k: 'any', v })),
      targetArb.map((t): Recipe => ({ k: 'revoked', target: t })),
      fc
        .record({
          traps: fc.oneof(fc.constant<Trap[]>([...TRAPS]), fc.subarray<Trap>([...TRAPS], { minLength: 1 })),
          after: fc.nat(3),
          target: targetArb,
          thrown: thrownArb,
          inner,
        })
        .map((x): Recipe => ({ k: 'trap', ...x })),
      fc.record({ thrown: thrownArb, inner }).map((x): Recipe => ({ k: 'getter', ...x })),
      fc
        .record({ mode: fc.constantFrom('throws', 'self', 'fresh', 'nested', 'hostile' as const), thrown: thrownArb })
        .map((x): Recipe => ({ k: 'toJSON', ...x })),
      inner.map((x): Recipe => ({ k: 'symbols', inner: x })),
      inner.map((x): Recipe => ({ k: 'cycle', inner: x })),
      fc.record({ thrown: thrownArb, inner }).map((x): Recipe => ({ k: 'error', ...x })),
      inner.map((x): Recipe => ({ k: 'map', inner: x })),
      fc
        .constantFrom<Huge>('wide', 'long', 'string', 'deep', 'sparse', 'dag', 'lazy')
        .map((w): Recipe => ({ k: 'huge', what: w })),
      fc
        .array(fc.tuple(fc.constantFrom('msg', 'level', 'time', 'err', '__proto__', 'x', 'y', '0', ''), tie('r')), {
          maxLength: 4,
        })
        .map((x): Recipe => ({ k: 'obj', inner: x })),
      inner.map((x): Recipe => ({ k: 'arr', inner: x })),
    ),
  };
}).r;

/** Logger settings the data goes through: plain, with every per-key feature, and with a context function. */
const CONFIGS: Array<[string, (v: () => unknown) => LoggerOptions]> = [
  ['defaults', () => ({})],
  [
    'bindings, serializers, redaction',
    (v) => ({
      base: { bound: 1, x: 'binding' },
      serializers: { y: () => v() },
      redact: { paths: ['x.a', '**.b', 'p0', '*.bad'], remove: false },
    }),
  ],
  ['context function', (v) => ({ context: () => v() as Fields })],
];

/** Records every line; checks each is one valid JSON object of the expected level. */
function checkedSink() {
  const sink = memorySink();
  const lines = (from: number, level: number): Fields[] =>
    sink.lines.slice(from).map((l) => {
      const parsed = JSON.parse(l) as Fields;
      expect(parsed.level).toBe(level);
      return parsed;
    });
  return { sink, lines };
}

/** Calls `fn` and checks it wrote exactly one line, which must parse. */
function oneLine(s: ReturnType<typeof checkedSink>, fn: () => void, level = 30): Fields {
  const before = s.sink.lines.length;
  fn();
  const got = s.lines(before, level);
  expect(got).toHaveLength(1);
  return got[0]!;
}

/** Every call shape that takes data, at one logger. */
function exercise(log: Logger, s: ReturnType<typeof checkedSink>, make: () => unknown): void {
  oneLine(s, () => log.info(make() as Fields));
  oneLine(s, () => log.info(make() as Fields, 'm'));
  oneLine(s, () => log.warn('m', make() as Fields), 40);
  oneLine(s, () => log.error(make() as Fields, make() as string), 50);
  oneLine(s, () => log.info(() => make() as Fields));
  // a hostile value among good fields loses none of them (unless bindings or context used up maxKeys: then the line
  // says so)
  const rec = oneLine(s, () => log.info({ before: 1, x: make(), y: make(), after: 2 } as Fields, 'm'));
  if (rec['…'] !== 'more keys omitted') expect(rec).toMatchObject({ before: 1, after: 2, msg: 'm' });
  const lvl = log.prepare(['a', 'b', 'level', 'c'], 'prepared');
  oneLine(s, () => lvl.info(make(), make(), make(), 3));
  const plainPrepared = log.prepare(['a', 'b'], 'prepared');
  oneLine(s, () => plainPrepared.info(make(), make()));
  oneLine(s, () => log.time('t')(make() as Fields));
  oneLine(s, () => log.startTimer().done('m', make() as Fields));
}

function run(r: Recipe): void {
  const make = () => build(r);
  for (const [, opts] of CONFIGS) {
    const s = checkedSink();
    const log = createLogger({ timestamp: false, ...opts(make), sink: s.sink });
    // the plain path
    exercise(log, s, make);
    // inside a context: context fields are merged with each call's fields
    withContext({ ctxSentinel: 'c1' }, () => exercise(log, s, make));
    // the hostile value as the context itself: withContext refuses only what is not an object, and runs fn
    const v = make();
    let ran = 0;
    const call = () =>
      withContext(v as Fields, () => {
        ran++;
        exercise(log, s, make);
        withContext({ inner: 1 }, () => oneLine(s, () => log.info('nested')));
      });
    let arr = false;
    try {
      arr = Array.isArray(v);
    } catch {}
    if (typeof v === 'object' && v !== null && !arr) {
      call();
      expect(ran).toBe(1);
    } else expect(call).toThrow(TypeError);
    // the hostile value as child bindings: refused with a TypeError naming child(bindings), or logged
    let child: Logger | undefined;
    try {
      child = log.child(make() as Fields);
    } catch (e) {
      expect(e).toBeInstanceOf(TypeError);
      expect((e as Error).message).toMatch(/^logger: child\(bindings\)/);
    }
    if (child !== undefined) {
      exercise(child, s, make);
      withContext({ ctxSentinel: 'c2' }, () => exercise(child, s, make));
    }
  }
}

describe('property: logging never throws on data and writes one valid line per call', () => {
  it('fast-check anything(), Proxies with throwing traps, throwing getters and toJSON, huge and cyclic values', () => {
    fc.assert(
      fc.property(recipe, (r) => run(r)),
      { numRuns: Number(process.env.HOSTILE_RUNS ?? 150) },
    );
  });
});

describe('hostile values, one by one', () => {
  const setup = (opts: LoggerOptions = {}) => {
    const s = checkedSink();
    return { ...s, log: createLogger({ base: null, timestamp: false, ...opts, sink: s.sink }) };
  };

  it('a revoked Proxy as fields logs the error and the message', () => {
    const s = setup();
    const rec = oneLine(s, () => s.log.info(revoked('object') as Fields, 'm'));
    expect(rec).toEqual({
      level: 30,
      fieldsError: expect.stringMatching(/^\[Throws: .*revoked/),
      msg: 'm',
    });
  });

  it('inside withContext, a Proxy whose ownKeys trap throws logs what the plain path logs, plus the context', () => {
    const s = setup();
    const p = () =>
      new Proxy(
        { a: 1 },
        {
          ownKeys() {
            throw new Error('no keys');
          },
        },
      ) as Fields;
    const plain = oneLine(s, () => s.log.info(p(), 'm'));
    expect(plain).toEqual({ level: 30, fieldsError: '[Throws: no keys]', msg: 'm' });
    const inCtx = withContext({ reqId: 'r1' }, () => oneLine(s, () => s.log.info(p(), 'm')));
    expect(inCtx).toEqual({ level: 30, reqId: 'r1', fieldsError: '[Throws: no keys]', msg: 'm' });
  });

  it('a throwing getter costs only its own key, inside a context too', () => {
    const s = setup();
    const f = {
      a: 1,
      get b(): never {
        throw new Error('getter');
      },
      c: 3,
    };
    const want = { level: 30, a: 1, b: '[Throws: getter]', c: 3, msg: 'm' };
    expect(oneLine(s, () => s.log.info(f, 'm'))).toEqual(want);
    expect(withContext({ r: 1 }, () => oneLine(s, () => s.log.info(f, 'm')))).toEqual({ ...want, r: 1 });
  });

  it('a getOwnPropertyDescriptor trap that throws on one key costs only that key', () => {
    const s = setup();
    const p = new Proxy(
      { a: 1, b: 2, c: 3 },
      {
        getOwnPropertyDescriptor(t, k) {
          if (k === 'b') throw new Error('no b');
          return Reflect.getOwnPropertyDescriptor(t, k);
        },
      },
    );
    expect(oneLine(s, () => s.log.info(p, 'm'))).toEqual({ level: 30, a: 1, b: '[Throws: no b]', c: 3, msg: 'm' });
  });

  it('fields that repeat a core key through a Proxy that throws on a second look', () => {
    const s = setup();
    let n = 0;
    const p = new Proxy(
      { level: 'x', a: 1 },
      {
        ownKeys(t) {
          if (n++ > 0) throw new Error('second look');
          return Reflect.ownKeys(t);
        },
      },
    );
    const rec = oneLine(s, () => s.log.info(p, 'm'));
    expect(rec.msg).toBe('m');
  });

  it('withContext with a hostile object runs fn; the context holds what could be read', () => {
    const s = setup();
    const ctx = new Proxy(
      { reqId: 'r1' },
      {
        ownKeys() {
          throw new Error('no keys');
        },
      },
    );
    const got = withContext(ctx, () => oneLine(s, () => s.log.info('m')));
    expect(got).toEqual({ level: 30, contextError: '[Throws: no keys]', msg: 'm' });
    const getter = {
      reqId: 'r2',
      get bad(): never {
        throw new Error('getter');
      },
    };
    expect(withContext(getter, () => oneLine(s, () => s.log.info('m')))).toEqual({
      level: 30,
      reqId: 'r2',
      bad: '[Throws: getter]',
      msg: 'm',
    });
    expect(withContext(revoked('object') as Fields, () => oneLine(s, () => s.log.info('m')))).toEqual({
      level: 30,
      contextError: expect.stringMatching(/revoked/),
      msg: 'm',
    });
  });

  it('child() with hostile bindings logs what could be read; reserved keys are still refused', () => {
    const s = setup();
    const c = s.log.child(
      new Proxy(
        { a: 1 },
        {
          has() {
            throw new Error('no has');
          },
          getOwnPropertyDescriptor() {
            throw new Error('no descriptor');
          },
        },
      ),
    );
    expect(oneLine(s, () => c.info('m'))).toMatchObject({ level: 30, msg: 'm' });
    const r = s.log.child(revoked('object') as Fields);
    expect(oneLine(s, () => r.info('m'))).toEqual({
      level: 30,
      bindingsError: expect.stringMatching(/revoked/),
      msg: 'm',
    });
    expect(() => s.log.child({ level: 1 })).toThrow(/reserved key "level"/);
  });

  it('timers with hostile fields', () => {
    const s = setup({ timerClock: () => 0 });
    expect(oneLine(s, () => s.log.time('t')(revoked('object') as Fields))).toMatchObject({ durationMs: 0, msg: 't' });
    expect(oneLine(s, () => s.log.startTimer().done('d', allTraps({}, 'error') as Fields))).toMatchObject({
      durationMs: 0,
      msg: 'd',
    });
  });

  it('thrown values that are hostile themselves', () => {
    const s = setup();
    for (const t of ['revoked', 'hostileError', 'nullProto', 'symbol', 'undefined'] as const) {
      const f = {
        get a(): never {
          throw throwable(t);
        },
        ok: 1,
      };
      expect(oneLine(s, () => s.log.info(f, 'm'))).toMatchObject({ a: expect.stringMatching(/^\[Throws/), ok: 1 });
    }
  });

  it('toJSON is called once per value, as JSON.stringify does: a result with a toJSON of its own is not re-entered', () => {
    const s = setup();
    const nested = { toJSON: () => ({ a: 1, toJSON: () => 'inner' }) };
    expect(oneLine(s, () => s.log.info({ v: nested }))).toEqual({ level: 30, v: JSON.parse(JSON.stringify(nested)) });
    // a toJSON that returns a fresh object with the same toJSON, forever, used to recurse until the stack ran out
    const make = (): object => ({ a: 1, toJSON: make });
    expect(oneLine(s, () => s.log.info({ v: make() }))).toEqual({ level: 30, v: { a: 1 } });
  });

  it('an exponentially shared structure (a DAG) is bounded by maxLineLength, not expanded', () => {
    const s = setup();
    // 20 keys per level, 12 levels, each level one shared object: JSON.stringify would write 20^10 objects
    const line = oneLine(s, () => s.log.info({ d: dag(20, 12) }));
    expect(JSON.stringify(line).length).toBeLessThan(1_100_000);
    // the same with objects made on demand: the number of reads is bounded too
    const reads = { n: 0 };
    const small = setup({ maxLineLength: 10_000 });
    oneLine(small, () => small.log.info({ d: lazy(20, reads) }));
    expect(reads.n).toBeLessThan(5_000);
    expect(small.sink.lines[0]!.length).toBeLessThan(11_000);
  });

  it('maxLineLength: nested values past it are summarised the way maxKeys and maxArrayLength are', () => {
    const s = setup({ maxLineLength: 100 });
    const rec = oneLine(s, () =>
      s.log.info({ list: Array.from({ length: 50 }, (_, i) => ({ i })), obj: { a: 'x'.repeat(80), b: 1 } }),
    );
    const list = rec.list as unknown[];
    expect(list.at(-1)).toMatch(/^\[…\d+ more items\]$/);
    expect(list.length).toBeLessThan(50);
    expect(rec.obj).toEqual({ '…': '2 more keys' });
    expect(() => createLogger({ maxLineLength: 0 })).toThrow(/maxLineLength must be an integer >= 1, got 0/);
  });
});
