import { describe, expect, it } from 'vitest';
import { memoryStore, rateLimiter, rateLimiters } from '../src/index.js';

describe('memoryStore', () => {
  it('1,000,000 distinct keys with maxKeys 100,000 stays bounded and counts evictions', () => {
    const t = 1_700_000_000_000;
    const store = memoryStore({ maxKeys: 100_000, clock: () => t });
    const l = rateLimiter({ limit: 10, windowMs: 60_000, store });
    const heap0 = process.memoryUsage().heapUsed;
    let maxSize = 0;
    for (let i = 0; i < 1_000_000; i++) {
      l.consumeSync(`client-${i}`);
      if ((i & 0xffff) === 0) maxSize = Math.max(maxSize, store.stats().size);
    }
    const s = store.stats();
    expect(Math.max(maxSize, s.size)).toBeLessThanOrEqual(100_000);
    expect(s.size).toBe(100_000);
    expect(s.allocated).toBe(100_000);
    expect(s.evictions).toBe(900_000);
    expect(s.expirations).toBe(0);
    // The most recent keys are still there, the oldest were evicted.
    expect(l.consumeSync('client-999999').remaining).toBe(8);
    expect(l.consumeSync('client-0').remaining).toBe(9);
    // Generous bound: 100k keys of ~20 chars, not 1M.
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(120 * 1024 * 1024);
  });

  it('expires without timers: expired keys are reclaimed, not evicted', () => {
    let t = 1_000_000;
    const store = memoryStore({ maxKeys: 3, clock: () => t });
    const l = rateLimiter({ algorithm: 'fixed-window', limit: 5, windowMs: 1000, store });
    for (const k of ['a', 'b', 'c']) l.consumeSync(k);
    expect(store.stats().size).toBe(3);
    t += 1000; // every window ended
    l.consumeSync('d');
    expect(store.stats()).toMatchObject({ size: 1 + 2, evictions: 0, expirations: 1 });
    expect(l.consumeSync('a').remaining).toBe(4); // a's old window is gone
    expect(store.stats().evictions).toBe(0);
  });

  it('LRU: a key in use survives while idle ones are evicted', () => {
    const store = memoryStore({ maxKeys: 2, clock: () => 5_000 });
    const l = rateLimiter({ limit: 10, windowMs: 60_000, store });
    l.consumeSync('hot');
    l.consumeSync('x');
    l.consumeSync('hot');
    l.consumeSync('y'); // evicts x, not hot
    expect(l.consumeSync('hot').remaining).toBe(7);
    expect(store.stats().evictions).toBe(1);
  });

  it('keeps limiters apart by name, and a full quota is not stored at all', () => {
    const store = memoryStore({ clock: () => 10_000 });
    const a = rateLimiter({ limit: 2, windowMs: 1000, store, name: 'a' });
    const b = rateLimiter({ limit: 2, windowMs: 1000, store, name: 'b' });
    a.consumeSync('k');
    a.consumeSync('k');
    expect(a.consumeSync('k').allowed).toBe(false);
    expect(b.consumeSync('k').allowed).toBe(true);
    store.clear();
    expect(store.stats().size).toBe(0);
    expect(a.consumeSync('k').allowed).toBe(true);
  });

  it('groups share the bound and still commit all or nothing when evicting', () => {
    const store = memoryStore({ maxKeys: 2, clock: () => 50_000 });
    const g = rateLimiters(
      [
        { limit: 1, windowMs: 1000, name: 's' },
        { limit: 5, windowMs: 60_000, name: 'm' },
      ],
      { store },
    );
    expect(g.consumeSync('u').allowed).toBe(true);
    expect(g.consumeSync('u').allowed).toBe(false);
    expect(store.stats().size).toBe(2);
    expect(g.consumeSync('v').allowed).toBe(true); // evicts u's two keys
    expect(store.stats()).toMatchObject({ size: 2, evictions: 2 });
  });

  it('rejects bad options naming the option', () => {
    expect(() => memoryStore({ maxKeys: 0 })).toThrow(/maxKeys must be an integer between 1 and 2\^30, got 0/);
    expect(() => memoryStore({ clock: 5 as never })).toThrow(/clock must be a function/);
  });
});
