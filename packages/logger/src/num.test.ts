import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { num } from './internal/serialize.js';

describe('num (number text for log lines)', () => {
  it('prints exactly what String() prints, for numbers with up to three decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_000_000_000_000, max: 2_000_000_000_000 }), (u) => {
        const v = u / 1000;
        expect(num(v)).toBe(String(v));
      }),
      { numRuns: 20_000 },
    );
  });

  it('prints exactly what String() prints, for any finite double', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        expect(num(v)).toBe(String(v));
      }),
      { numRuns: 20_000 },
    );
  });

  it('edge cases: zero, negative zero, halves, tiny, huge, rounding neighbours', () => {
    const cases = [
      0,
      -0,
      0.5,
      -0.5,
      0.001,
      -0.001,
      0.0005,
      1e-7,
      0.1 + 0.2,
      1.005,
      999999999.999,
      -999999999.999,
      1e9 + 0.5,
      1e21,
      123.4,
      123.45,
      123.456,
      123.4567,
      Number.MIN_VALUE,
      Number.MAX_SAFE_INTEGER,
      2 ** 53 + 2,
      7.1e-5,
      1 / 3,
    ];
    for (const v of cases) expect(num(v)).toBe(String(v));
  });

  it('log lines carry the same durations as before', async () => {
    const { createLogger } = await import('./index.js');
    const lines: string[] = [];
    const log = createLogger({ sink: { write: (l: string) => lines.push(l) } });
    log.info({ durationMs: 0.163, n: 200, ratio: -12.5, tiny: 1e-7, nested: { d: 3.25 } }, 'x');
    const o = JSON.parse(lines[0]!);
    expect(o).toMatchObject({ durationMs: 0.163, n: 200, ratio: -12.5, tiny: 1e-7, nested: { d: 3.25 } });
    expect(lines[0]).toContain('"durationMs":0.163,"n":200,"ratio":-12.5,"tiny":1e-7,"nested":{"d":3.25}');
  });
});
