import { describe, expect, it } from 'vitest';
import { compare, formatNs } from './index.js';

describe('bench-kit', () => {
  it('measures sync and async cases and orders a slow case after a fast one', async () => {
    const log = console.log;
    console.log = () => {};
    try {
      let sink = 0;
      const res = await compare(
        't',
        [
          { name: 'fast', fn: () => sink++ },
          {
            name: 'slow',
            fn: () => {
              for (let i = 0; i < 2000; i++) sink += i;
            },
          },
          { name: 'async', fn: async () => sink++ },
        ],
        { rounds: 3, roundMs: 10 },
      );
      expect(res.map((r) => r.name)).toEqual(['fast', 'slow', 'async']);
      expect(res[1]!.nsPerOp).toBeGreaterThan(res[0]!.nsPerOp);
      for (const r of res) expect(Number.isFinite(r.opsPerSec) && r.opsPerSec > 0).toBe(true);
    } finally {
      console.log = log;
    }
  });
  it('refuses a bare baseline wrapped in an async function (an extra async layer flatters every overhead)', async () => {
    const op = async (): Promise<number> => 1;
    await expect(
      compare('t', [{ name: 'bare await op()', fn: async () => await op() }], { rounds: 1 }),
    ).rejects.toThrow(/baseline "bare await op\(\)" is an async function/);
  });
  it('formats durations', () => {
    expect(formatNs(12.34)).toBe('12.3 ns');
    expect(formatNs(1500)).toBe('1.50 µs');
    expect(formatNs(2_500_000)).toBe('2.50 ms');
  });
});
