import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BackoffOptions, createBackoff, MAX_DELAY_MS } from './index.js';

const seq = (values: number[]): (() => number) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe('createBackoff: curves', () => {
  it('exponential: initialMs × factor^(n-1), capped at maxMs', () => {
    const b = createBackoff({ type: 'exponential', initialMs: 100, maxMs: 1000, factor: 2, jitter: 'none' });
    expect([1, 2, 3, 4, 5, 6].map((n) => b.delay(n))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('linear: initialMs × (1 + factor × (n-1)), factor defaults to 1', () => {
    const b = createBackoff({ type: 'linear', initialMs: 100, maxMs: 350, jitter: 'none' });
    expect([1, 2, 3, 4].map((n) => b.delay(n))).toEqual([100, 200, 300, 350]);
    const b2 = createBackoff({ type: 'linear', initialMs: 10, factor: 0.5, jitter: 'none' });
    expect([1, 2, 3].map((n) => b2.delay(n))).toEqual([10, 15, 20]);
  });

  it('constant ignores the retry number', () => {
    const b = createBackoff({ type: 'constant', initialMs: 250, jitter: 'none' });
    expect([1, 2, 50].map((n) => b.delay(n))).toEqual([250, 250, 250]);
  });

  it('accepts a curve name and applies the documented defaults', () => {
    const b = createBackoff('linear');
    expect({ type: b.type, initialMs: b.initialMs, maxMs: b.maxMs, factor: b.factor, jitter: b.jitter }).toEqual({
      type: 'linear',
      initialMs: 100,
      maxMs: 30_000,
      factor: 1,
      jitter: 'full',
    });
    expect(createBackoff().factor).toBe(2);
  });
});

describe('createBackoff: jitter', () => {
  const base: BackoffOptions = { type: 'constant', initialMs: 1000, maxMs: 5000 };
  it('full: uniform in [0, cap]', () => {
    const b = createBackoff({ ...base, jitter: 'full' }, seq([0, 0.25, 0.999]));
    expect([b.delay(1), b.delay(1), b.delay(1)]).toEqual([0, 250, 999]);
  });

  it('equal: cap/2 + uniform in [0, cap/2]', () => {
    const b = createBackoff({ ...base, jitter: 'equal' }, seq([0, 0.5, 1]));
    expect([b.delay(1), b.delay(1), b.delay(1)]).toEqual([500, 750, 1000]);
  });

  it('decorrelated: uniform in [initialMs, previous × 3], capped', () => {
    const b = createBackoff({ ...base, jitter: 'decorrelated' }, seq([1]));
    let prev = 0;
    const out: number[] = [];
    for (let n = 1; n <= 4; n++) out.push((prev = b.delay(n, prev)));
    expect(out).toEqual([3000, 5000, 5000, 5000]);
    const low = createBackoff({ ...base, jitter: 'decorrelated' }, seq([0]));
    expect(low.delay(3, 4000)).toBe(1000);
  });

  it('a broken random source (NaN, negative, > 1) cannot produce a bad delay', () => {
    const b = createBackoff({ ...base, jitter: 'full' }, seq([Number.NaN, -5, 7]));
    expect([b.delay(1), b.delay(1), b.delay(1)]).toEqual([0, 0, 1000]);
  });
});

describe('createBackoff: validation', () => {
  it('names the option and the bad value', () => {
    expect(() => createBackoff({ initialMs: -1 })).toThrow(
      'retry: backoff.initialMs must be a finite number >= 0, got -1',
    );
    expect(() => createBackoff({ initialMs: 500, maxMs: 100 })).toThrow(
      'retry: backoff.maxMs must be >= backoff.initialMs (500), got 100',
    );
    expect(() => createBackoff({ factor: 0.5 })).toThrow('retry: backoff.factor must be a finite number >= 1, got 0.5');
    expect(() => createBackoff({ factor: Number.NaN })).toThrow(RangeError);
    expect(() => createBackoff({ jitter: 'some' as never })).toThrow(
      'retry: backoff.jitter must be one of none, full, equal, decorrelated, got "some"',
    );
    expect(() => createBackoff({ type: 'fibonacci' as never })).toThrow(TypeError);
    expect(() => createBackoff({ initialMS: 5 } as never)).toThrow(/unknown option "initialMS"/);
  });

  it('clamps maxMs (and Infinity) to 2^31-1', () => {
    expect(createBackoff({ maxMs: Number.POSITIVE_INFINITY }).maxMs).toBe(MAX_DELAY_MS);
    expect(createBackoff({ maxMs: 1e12, jitter: 'none' }).delay(1000)).toBe(MAX_DELAY_MS);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Property tests.
const options = fc.record({
  type: fc.constantFrom('exponential' as const, 'linear' as const, 'constant' as const),
  jitter: fc.constantFrom('none' as const, 'full' as const, 'equal' as const, 'decorrelated' as const),
  initialMs: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e7, noNaN: true }), fc.integer({ min: 0, max: 5000 })),
  extraMs: fc.oneof(
    fc.double({ min: 0, max: 1e12, noNaN: true }),
    fc.constant(Number.POSITIVE_INFINITY),
    fc.integer({ min: 0, max: 60_000 }),
  ),
  factor: fc.oneof(fc.double({ min: 1, max: 1e6, noNaN: true }), fc.constantFrom(1, 1.5, 2, 3)),
});
type Opts = typeof options extends fc.Arbitrary<infer O> ? O : never;
const build = (o: Opts, random: () => number = Math.random) =>
  createBackoff(
    { type: o.type, jitter: o.jitter, initialMs: o.initialMs, maxMs: o.initialMs + o.extraMs, factor: o.factor },
    random,
  );
const randomSource = fc.oneof(
  fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  fc.constantFrom(0, 0.5, 0.999999, 1, Number.NaN, -1, 2, Number.POSITIVE_INFINITY),
);
const retryNumber = fc.oneof(
  fc.integer({ min: 1, max: 100 }),
  fc.integer({ min: 1, max: 1e9 }),
  fc.constantFrom(10_000, 1e15, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY, 0, -3, Number.NaN, 2.5),
);

describe('backoff properties (fast-check)', () => {
  it('every delay is finite and within [0, ceiling(n)] ⊆ [0, maxMs] ⊆ [0, 2^31-1]', () => {
    fc.assert(
      fc.property(options, randomSource, retryNumber, fc.double({ noNaN: false }), (o, r, n, prev) => {
        const b = build(o, () => r);
        const d = b.delay(n, prev);
        const c = b.ceiling(n);
        expect(Number.isFinite(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(c);
        expect(c).toBeLessThanOrEqual(b.maxMs);
        expect(b.maxMs).toBeLessThanOrEqual(MAX_DELAY_MS);
      }),
      { numRuns: 2000 },
    );
  });

  it('caps are monotone: n <= m implies ceiling(n) <= ceiling(m); jitter none equals the cap', () => {
    fc.assert(
      fc.property(options, retryNumber, retryNumber, (o, a, b2) => {
        const b = build(o);
        const [n, m] = a <= b2 ? [a, b2] : [b2, a];
        if (Number.isNaN(n) || Number.isNaN(m)) return;
        expect(b.ceiling(n)).toBeLessThanOrEqual(b.ceiling(m));
        if (o.jitter === 'none') expect(b.delay(m)).toBe(b.ceiling(m));
      }),
      { numRuns: 2000 },
    );
  });

  it('caps hold over a 10,000-attempt sequence (previous delay chained, as retry does)', () => {
    fc.assert(
      fc.property(options, fc.integer(), (o, seed) => {
        let s = seed >>> 0;
        const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
        const b = build(o, rnd);
        let prev = 0;
        let lastCeil = 0;
        for (let n = 1; n <= 10_000; n++) {
          const c = b.ceiling(n);
          const d = b.delay(n, prev);
          if (!(d >= 0 && d <= c && c <= b.maxMs && c >= lastCeil)) {
            throw new Error(`retry ${n}: delay ${d}, ceiling ${c}, previous ceiling ${lastCeil}, maxMs ${b.maxMs}`);
          }
          lastCeil = c;
          prev = d;
        }
        // A growing curve with a positive start reaches its cap and stays there.
        const maxMs = o.initialMs + o.extraMs;
        const grows =
          o.jitter !== 'decorrelated' &&
          o.initialMs >= 1 &&
          (o.type === 'exponential'
            ? o.factor >= 1.01
            : o.type === 'linear' && o.initialMs * (1 + o.factor * 9_999) >= Math.min(maxMs, MAX_DELAY_MS));
        if (grows || (o.jitter === 'decorrelated' && o.initialMs >= 1)) {
          expect(b.ceiling(10_000)).toBe(b.maxMs);
        }
      }),
      { numRuns: 60 },
    );
  });
});
