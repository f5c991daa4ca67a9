import { fileURLToPath } from 'node:url';
import { startWorkerd, type Workerd } from '@org/runtimes/workerd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { draftViolations } from './draft-shape.js';

// The built package on real workerd (the Cloudflare Workers runtime), no compatibility flags. There a timer set while
// serving one request never fires once that request has ended, and a promise created by one request cannot be awaited
// by another: every run and every timeout must belong to the probe that waits on it.
const entry = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));
let worker: Workerd;

const get = async (path: string) => {
  const res = await fetch(`${worker.url}${path}`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
};

beforeAll(async () => {
  worker = await startWorkerd({ entry });
}, 30_000);

afterAll(async () => {
  await worker?.stop();
});

describe('@org/health on workerd', () => {
  it('loads with checks (one with intervalMs) registered at global scope, and answers probes', async () => {
    const live = await get('/livez');
    expect([live.status, live.type, live.body]).toEqual([200, 'application/health+json', '{"status":"pass"}']);
    const ready = await get('/readyz?verbose');
    expect(ready.status).toBe(200);
    const doc = JSON.parse(ready.body);
    expect(draftViolations(doc)).toEqual([]);
    expect(doc.checks['dep:responseTime'][0]).toMatchObject({ status: 'pass', observedValue: 1 });
    expect(doc.checks['kv:background'][0]).toMatchObject({ status: 'pass' });
  });

  it('times out a hanging check after a passing probe (timeouts are armed per request)', async () => {
    await get('/set?mode=pass');
    expect((await get('/readyz')).status).toBe(200);
    await get('/set?mode=hang');
    const r = await get('/readyz?verbose');
    expect(r.status).toBe(503);
    const doc = JSON.parse(r.body);
    expect(doc.checks['dep:responseTime'][0]).toMatchObject({ status: 'fail', output: 'timed out after 300 ms' });
    expect(doc.checks['dep:ignoresSignal'][0]).toMatchObject({ status: 'warn', output: 'timed out after 300 ms' });
    // and again, from a new request, once the first one has ended
    const again = await get('/readyz?verbose');
    expect(again.status).toBe(503);
    expect(worker.output()).not.toMatch(/hung|has since ended|Disallowed/i);
  });

  it('answers concurrent probes each from its own run while the dependency hangs', async () => {
    await get('/set?mode=hang');
    const before = Number((await get('/runs')).body);
    // staggered, so some probes arrive while others' runs are in flight and others' requests have ended
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        new Promise((r) => setTimeout(r, i * 40)).then(() => get('/readyz?verbose')),
      ),
    );
    for (const a of answers) {
      expect(a.status).toBe(503);
      expect(JSON.parse(a.body).checks['dep:responseTime'][0].output).toBe('timed out after 300 ms');
    }
    expect(Number((await get('/runs')).body) - before).toBe(12);
    await get('/set?mode=pass');
    const ok = await Promise.all(Array.from({ length: 8 }, () => get('/readyz')));
    expect(ok.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(worker.output()).not.toMatch(/hung|has since ended|Disallowed/i);
  });
});
