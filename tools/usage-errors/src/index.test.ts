import { describe, expect, it } from 'vitest';
import { invalidArgument, invalidOption } from './index.js';

function makeThing(limit: unknown): void {
  if (typeof limit !== 'number') throw invalidOption(TypeError, `thing: limit must be a number, got ${String(limit)}`);
}

describe('usage errors', () => {
  it('are the built-in class with a code, not retryable, named as Node names its coded errors', () => {
    const o = invalidOption(RangeError, 'x: limit must be >= 1, got 0');
    expect(o).toBeInstanceOf(RangeError);
    expect([o.code, o.retryable, o.name, o.message]).toEqual([
      'ERR_INVALID_OPTION',
      false,
      'RangeError',
      'x: limit must be >= 1, got 0',
    ]);
    const a = invalidArgument(TypeError, 'x: key must be a string');
    expect(a).toBeInstanceOf(TypeError);
    expect([a.code, a.retryable]).toEqual(['ERR_INVALID_ARGUMENT', false]);
    // the name is the class's own (no own property left behind), the code shows in the stack's first line
    expect(Object.hasOwn(a, 'name')).toBe(false);
    expect(a.stack!.split('\n')[0]).toBe('TypeError [ERR_INVALID_ARGUMENT]: x: key must be a string');
  });

  it('start their stack at the caller, not in this module', () => {
    let e: Error | undefined;
    try {
      makeThing('ten');
    } catch (err) {
      e = err as Error;
    }
    const frames = e!.stack!.split('\n').slice(1);
    expect(frames[0]).toContain('makeThing');
    expect(e!.stack).not.toMatch(/usageError|at invalidOption/);
  });
});
