import { createHealth } from '@org/health';
import { describe, expect, it } from 'vitest';

describe('health.statuses()', () => {
  it("gives each check's last status without running any, and forgets unregistered checks", async () => {
    const h = createHealth({ cacheMs: 0 });
    let runs = 0;
    let up = true;
    h.check({
      name: 'db',
      probes: ['readiness'],
      run: () => {
        runs++;
        return up;
      },
    });
    const off = h.check({ name: '__proto__', probes: ['liveness'], run: () => ({ status: 'warn' as const }) });
    expect({ ...h.statuses() }).toEqual({});
    await h.readiness();
    expect({ ...h.statuses() }).toEqual({ db: 'pass' });
    up = false;
    await h.readiness();
    await h.liveness();
    const s = h.statuses();
    expect(s.db).toBe('fail');
    expect(Object.keys(s).sort()).toEqual(['__proto__', 'db']);
    expect(Object.entries(s)).toContainEqual(['__proto__', 'warn']); // a key of its own, not the prototype
    expect(runs).toBe(2); // statuses() ran nothing
    off();
    expect(Object.keys(h.statuses())).toEqual(['db']);
  });
});
