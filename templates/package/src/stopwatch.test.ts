import { describe, expect, it } from 'vitest';
import { createStopwatch, isTemplateError } from './index.js';

describe('createStopwatch', () => {
  it('measures laps with the injected clock', () => {
    let t = 100;
    const sw = createStopwatch({ clock: () => t });
    const end = sw.start('db');
    t = 142;
    expect(end()).toBe(42);
  });

  it('emits slow only above slowMs, and stops after unsubscribe', () => {
    let t = 0;
    const seen: string[] = [];
    const sw = createStopwatch({ slowMs: 10, clock: () => t });
    const off = sw.on('slow', (e) => seen.push(`${e.name}:${e.ms}`));
    let end = sw.start('a');
    t = 10;
    end();
    end = sw.start('b');
    t = 21;
    end();
    off();
    end = sw.start('c');
    t = 100;
    end();
    expect(seen).toEqual(['b:11']);
  });

  it('rejects bad options with an error naming the option', () => {
    expect(() => createStopwatch({ slowMs: -1 })).toThrow(/slowMs must be a finite number >= 0, got -1/);
    expect(() => createStopwatch({ slowMs: Number.NaN })).toThrow(RangeError);
  });

  it('throws branded errors with stable codes', () => {
    const sw = createStopwatch();
    const end = sw.start('x');
    end();
    try {
      end();
      expect.unreachable();
    } catch (e) {
      expect(isTemplateError(e)).toBe(true);
      expect((e as { code: string }).code).toBe('ERR_LAP_ENDED');
    }
    expect(isTemplateError(new Error('x'))).toBe(false);
  });
});
