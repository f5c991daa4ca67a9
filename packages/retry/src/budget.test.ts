import { describe, expect, it } from 'vitest';
import { retryBudget } from './index.js';

describe('retryBudget', () => {
  it('starts with min(maxTokens, minPerSecond) tokens and spends one per retry', () => {
    const now = 0;
    const b = retryBudget({ ratio: 0, minPerSecond: 3, clock: () => now });
    expect(b.tokens).toBe(3);
    expect([b.tryAcquire(), b.tryAcquire(), b.tryAcquire(), b.tryAcquire()]).toEqual([true, true, true, false]);
    expect(b.tokens).toBe(0);
  });

  it('ten executions at ratio 0.1 make exactly one retry (no binary rounding loss)', () => {
    const b = retryBudget({ ratio: 0.1, minPerSecond: 0, clock: () => 0 });
    for (let i = 0; i < 9; i++) b.recordExecution();
    expect(b.tryAcquire()).toBe(false);
    b.recordExecution();
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
  });

  it('refills minPerSecond tokens per second, lazily, up to maxTokens', () => {
    let now = 0;
    const b = retryBudget({ ratio: 0, minPerSecond: 4, maxTokens: 6, clock: () => now });
    while (b.tryAcquire()) {}
    now += 250;
    expect(b.tokens).toBeCloseTo(1, 9);
    now += 10_000;
    expect(b.tokens).toBe(6);
    b.recordExecution();
    expect(b.tokens).toBe(6);
  });

  it('deposits are capped by maxTokens (default max(10, minPerSecond × 10))', () => {
    const b = retryBudget({ ratio: 1, minPerSecond: 0, clock: () => 0 });
    expect(b.options).toEqual({ ratio: 1, minPerSecond: 0, maxTokens: 10 });
    for (let i = 0; i < 100; i++) b.recordExecution();
    expect(b.tokens).toBe(10);
    expect(retryBudget({ minPerSecond: 5 }).options.maxTokens).toBe(50);
  });

  it('bounds retry amplification: retries <= ratio × executions + starting tokens when nothing refills', () => {
    const b = retryBudget({ ratio: 0.2, minPerSecond: 0, maxTokens: 1000, clock: () => 0 });
    let retries = 0;
    for (let i = 0; i < 1000; i++) {
      b.recordExecution();
      for (let r = 0; r < 5; r++) if (b.tryAcquire()) retries++;
    }
    expect(retries).toBe(200);
  });

  it('validates options, naming them', () => {
    expect(() => retryBudget({ ratio: -0.1 })).toThrow('retryBudget: ratio must be a finite number >= 0, got -0.1');
    expect(() => retryBudget({ minPerSecond: Number.NaN })).toThrow(RangeError);
    expect(() => retryBudget({ maxTokens: 0 })).toThrow('retryBudget: maxTokens must be a finite number >= 1, got 0');
    expect(() => retryBudget({ clock: 5 as never })).toThrow('retryBudget: clock must be a function, got 5');
    expect(() => retryBudget({ percent: 10 } as never)).toThrow(/unknown option "percent"/);
  });
});
