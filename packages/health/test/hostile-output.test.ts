import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { Pool, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealth, type Health } from '../src/index.js';
import { draftViolations } from './draft-shape.js';

// Whatever a check returns, resolves to, throws or rejects with, every probe answers a well-formed
// application/health+json document over HTTP — served with the README's own server code, which does not catch.
// `verbose: 'query'` (the default) lets any caller ask for the check details, so all of it goes through the encoder.

const boom = (): never => {
  throw new Error('getter blew up');
};

const revoked = (): object => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};

const allTrapsThrow = (): object =>
  new Proxy(
    {},
    {
      get: boom,
      has: boom,
      ownKeys: boom,
      getOwnPropertyDescriptor: boom,
      getPrototypeOf: boom,
    },
  );

const hostile: ReadonlyArray<[string, () => unknown]> = [
  ['bigint', () => 42n],
  [
    'cycle',
    () => {
      const o: Record<string, unknown> = { a: 1 };
      o.self = o;
      return o;
    },
  ],
  ['throwing getter', () => Object.defineProperty({ ok: 1 }, 'bad', { get: boom, enumerable: true })],
  ['throwing toJSON', () => ({ toJSON: boom })],
  ['toJSON returning a BigInt', () => ({ toJSON: () => 7n })],
  ['revoked Proxy', revoked],
  ['Proxy whose traps throw', allTrapsThrow],
  ['symbol', () => Symbol('s')],
  ['function', () => () => 1],
  ['NaN', () => Number.NaN],
  ['-Infinity', () => Number.NEGATIVE_INFINITY],
  ['Error with a throwing message', () => Object.defineProperty(new Error('x'), 'message', { get: boom })],
  ['null-prototype object', () => Object.assign(Object.create(null), { toString: 1, valueOf: 2 })],
  ['toString that throws', () => ({ toString: boom, [Symbol.toPrimitive]: boom })],
  ['huge array', () => Array.from({ length: 100_000 }, (_, i) => i)],
  [
    'deep nesting',
    () => {
      let o: unknown = 'leaf';
      for (let i = 0; i < 1000; i++) o = { o };
      return o;
    },
  ],
  ['__proto__ key', () => JSON.parse('{"__proto__":{"polluted":1},"a":1}')],
  [
    'Map with object keys',
    () =>
      new Map<unknown, unknown>([
        [{}, 1n],
        [Symbol('k'), revoked()],
      ]),
  ],
  [
    'Set with a cycle',
    () => {
      const s = new Set<unknown>();
      s.add(s);
      return s;
    },
  ],
  ['typed array', () => new Float64Array([1, Number.NaN])],
  ['Date that is invalid', () => new Date(Number.NaN)],
];

// fast-check inspects the values it generates, so the arbitraries produce recipes; the property builds the values.
type Recipe = { any: unknown } | { hostile: number };
const make = (r: Recipe): unknown => ('hostile' in r ? (hostile[r.hostile] as [string, () => unknown])[1]() : r.any);
const valueRecipe: fc.Arbitrary<Recipe> = fc.oneof(
  fc
    .anything({
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
    })
    .map((any) => ({ any })),
  fc.nat(hostile.length - 1).map((i) => ({ hostile: i })),
);

// An outcome object whose fields are anything, the status sometimes a getter that throws or changes its answer.
const FIELDS = [
  'observedValue',
  'observedUnit',
  'output',
  'componentId',
  'componentType',
  'affectedEndpoints',
  'links',
];
const outcomeRecipe = fc.record({
  status: fc.oneof(
    fc.constantFrom('pass', 'warn', 'fail').map((any) => ({ any }) as Recipe),
    valueRecipe,
  ),
  fields: fc.dictionary(fc.constantFrom(...FIELDS), valueRecipe, { maxKeys: FIELDS.length }),
  shape: fc.constantFrom('plain', 'throwing status', 'flipping status', 'proxy'),
});
const makeOutcome = (o: { status: Recipe; fields: Record<string, Recipe>; shape: string }): object => {
  const out: Record<string, unknown> = { status: make(o.status) };
  for (const [k, r] of Object.entries(o.fields)) out[k] = make(r);
  if (o.shape === 'throwing status') return Object.defineProperty(out, 'status', { get: boom });
  if (o.shape === 'flipping status') {
    let n = 0;
    return Object.defineProperty(out, 'status', { get: () => (n++ === 0 ? 'pass' : 42n) });
  }
  if (o.shape === 'proxy') return new Proxy(out, { ownKeys: boom, getPrototypeOf: boom });
  return out;
};

// Hostile thenables, built with defineProperty: a literal `then` key is what the linter (rightly) refuses elsewhere.
const thenable = (then: unknown): object => Object.defineProperty({}, 'then', { value: then, enumerable: true });
const thenables: ReadonlyArray<(v: unknown) => unknown> = [
  () => Object.defineProperty({}, 'then', { get: boom }),
  () => thenable(boom),
  (v) =>
    thenable((ok: (x: unknown) => void, no: (x: unknown) => void) => {
      ok(v);
      no(v);
      ok(revoked());
    }),
  () => thenable((ok: (x: unknown) => void) => ok(thenable(boom))),
  () => Promise.resolve(revoked()),
];

type Mode = 'return' | 'resolve' | 'reject' | 'throw' | 'thenable';
const checkArb = fc.record({
  value: fc.oneof(
    valueRecipe.map((v) => () => make(v)),
    outcomeRecipe.map((o) => () => makeOutcome(o)),
  ),
  mode: fc.constantFrom<Mode>('return', 'resolve', 'reject', 'throw', 'thenable'),
  thenable: fc.nat(thenables.length - 1),
  critical: fc.boolean(),
  probes: fc.subarray(['liveness', 'readiness', 'startup'] as const, { minLength: 1 }),
});

let server: Server;
let base: string;
let pool: Pool;
let current: Health;
const processErrors: unknown[] = [];
const onProcessError = (e: unknown) => processErrors.push(e);

beforeAll(async () => {
  process.on('unhandledRejection', onProcessError);
  process.on('uncaughtException', onProcessError);
  // The README's server code, verbatim in shape: no catch around the probe.
  server = createServer((req, res) => {
    const probe = current.route(req.method ?? 'GET', req.url ?? '/', (name) => req.headers[name] as string | undefined);
    if (probe) {
      probe.then((p) => res.writeHead(p.httpStatus, p.headers).end(p.body));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  pool = new Pool(base, { connections: 8 });
});

afterAll(async () => {
  await pool.close();
  await new Promise((r) => server.close(r));
  process.off('unhandledRejection', onProcessError);
  process.off('uncaughtException', onProcessError);
});

describe('no check output can crash or reject a probe (real HTTP, verbose on ?verbose)', () => {
  it('answers every probe with a valid health document, whatever the checks return or throw', {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(checkArb, { minLength: 1, maxLength: 4 }), async (defs) => {
        const h = createHealth({ timeoutMs: 200, cacheMs: 0 });
        defs.forEach((d, i) => {
          h.check({
            name: `c${i}:out`,
            critical: d.critical,
            probes: d.probes,
            run: (() => {
              const v = d.value();
              switch (d.mode) {
                case 'return':
                  return v;
                case 'resolve':
                  return Promise.resolve(v);
                case 'reject':
                  return Promise.reject(v);
                case 'throw':
                  throw v;
                case 'thenable':
                  return (thenables[d.thenable] as (v: unknown) => unknown)(v);
              }
            }) as () => undefined,
          });
        });
        current = h;
        for (const path of ['/readyz?verbose', '/livez?verbose', '/health?verbose', '/startupz?verbose', '/readyz']) {
          const res = await request(`${base}${path}`, { dispatcher: pool });
          const body = await res.body.text();
          expect([200, 503]).toContain(res.statusCode);
          expect(res.headers['content-type']).toBe('application/health+json');
          const doc = JSON.parse(body);
          expect(draftViolations(doc)).toEqual([]);
        }
        h.close();
      }),
      { numRuns: 150 },
    );
    expect(processErrors).toEqual([]);
  });

  it('reports each hostile value readably in the check output', async () => {
    for (const [label, make] of hostile) {
      const h = createHealth({ cacheMs: 0 });
      h.check({ name: 'x:value', run: () => ({ observedValue: make() }) });
      h.check({ name: 'x:rejection', critical: false, run: () => Promise.reject(make()) });
      const r = await h.readiness({ verbose: true });
      expect(draftViolations(JSON.parse(r.body)), label).toEqual([]);
      expect(r.json.checks?.['x:rejection']?.[0]?.status, label).toBe('warn');
    }
    const h = createHealth({ cacheMs: 0 });
    const cyc: Record<string, unknown> = { n: 42n };
    cyc.self = cyc;
    h.check({ name: 'a:b', run: () => ({ observedValue: cyc, output: revoked() as unknown as string }) });
    h.check({ name: 'c:d', run: () => ({ status: 'warn', observedValue: { toJSON: boom } }) });
    const doc = JSON.parse((await h.readiness({ verbose: true })).body);
    expect(doc.checks['a:b'][0]).toMatchObject({ status: 'pass', observedValue: { n: '42', self: '[Circular]' } });
    expect(doc.checks['a:b'][0].output).toMatch(/Proxy|unprintable/);
    expect(doc.checks['c:d'][0]).toMatchObject({ status: 'warn', observedValue: '[Throws: getter blew up]' });
    expect(processErrors).toEqual([]);
  });
});
