import { describe, expect, it } from 'vitest';
import { type DeadlineEntry, DeadlineQueue } from './deadlines.js';

describe('DeadlineQueue', () => {
  const entry = (fired: string[], name: string): DeadlineEntry & { name: string } => ({
    name,
    dlAt: 0,
    dlPrev: null,
    dlNext: null,
    onDeadline() {
      fired.push(name);
    },
  });

  it('fires entries in order once their time has passed, never cancelled ones, and disarms when empty', async () => {
    const q = new DeadlineQueue(200);
    const fired: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => entry(fired, n)) as [
      ReturnType<typeof entry>,
      ReturnType<typeof entry>,
      ReturnType<typeof entry>,
      ReturnType<typeof entry>,
    ];
    const t0 = performance.now();
    q.add(a);
    q.add(b);
    q.add(c);
    q.cancel(b);
    q.cancel(b); // twice is harmless
    expect(q.size).toBe(2);
    await new Promise((r) => setTimeout(r, 100));
    q.add(d); // due at about t0 + 300
    expect(fired).toEqual([]);
    await new Promise((r) => setTimeout(r, 150));
    // timers never fire early; a late wake-up (loaded machine) may also have seen d fire: check by time
    if (performance.now() - t0 < 295) expect(fired).toEqual(['a', 'c']);
    await new Promise((r) => setTimeout(r, 120));
    expect(fired).toEqual(['a', 'c', 'd']);
    expect(q.size).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(q.armed).toBe(false);
  });

  it('a throwing callback does not strand the entries behind it', async () => {
    const q = new DeadlineQueue(5);
    const fired: string[] = [];
    const bad = {
      ...entry(fired, 'bad'),
      onDeadline: () => {
        throw new Error('boom');
      },
    };
    const errors: unknown[] = [];
    const onErr = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onErr);
    try {
      q.add(bad);
      q.add(entry(fired, 'after'));
      await new Promise((r) => setTimeout(r, 30));
      expect(fired).toEqual(['after']);
      expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
    } finally {
      process.off('uncaughtException', onErr);
    }
  });

  it('an entry re-added moves to the end with a fresh deadline', async () => {
    const q = new DeadlineQueue(25);
    const fired: string[] = [];
    const a = entry(fired, 'a');
    q.add(a);
    await new Promise((r) => setTimeout(r, 15));
    q.add(a);
    await new Promise((r) => setTimeout(r, 15));
    expect(fired).toEqual([]);
    await new Promise((r) => setTimeout(r, 25));
    expect(fired).toEqual(['a']);
  });
});
