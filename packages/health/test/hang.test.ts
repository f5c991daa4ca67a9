import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Child, killAll, startChild } from './fixtures/child.js';

// A real service in a child process (node:http + route() + gracefulShutdown, built package) with one readiness check
// that hangs forever and ignores its AbortSignal. This process plays the kubelet: 200 concurrent probes over 200
// keep-alive sockets must all answer soon after the check's timeout.
const TIMEOUT_MS = 200;
let child: Child;
let agent: Agent;
let base: string;

beforeAll(async () => {
  child = await startChild({ HANG_TIMEOUT_MS: TIMEOUT_MS });
  base = `http://127.0.0.1:${child.port}`;
  agent = new Agent({ connections: 200, keepAliveTimeout: 30_000 });
});

afterAll(async () => {
  await agent.close();
  await killAll();
});

async function wave(path: string) {
  const latencies: number[] = [];
  const statuses: number[] = [];
  const bodies: string[] = [];
  await Promise.all(
    Array.from({ length: 200 }, async () => {
      const t0 = performance.now();
      const res = await request(`${base}${path}`, { dispatcher: agent });
      bodies.push(await res.body.text());
      latencies.push(performance.now() - t0);
      statuses.push(res.statusCode);
    }),
  );
  latencies.sort((a, b) => a - b);
  const stats = await request(`${base}/probe-stats`, { dispatcher: agent });
  const server = ((await stats.body.json()) as number[]).sort((a, b) => a - b);
  return { latencies, statuses, bodies, server };
}

const fmt = (xs: number[]) =>
  `p50 ${xs[Math.floor(xs.length / 2)]?.toFixed(1)} ms, p99 ${xs[Math.floor(xs.length * 0.99)]?.toFixed(1)} ms, max ${xs.at(-1)?.toFixed(1)} ms`;

describe('a hanging check cannot hang a probe', () => {
  it('answers 200 concurrent readiness probes soon after the timeout while one check hangs forever', async () => {
    // Warm up: open the 200 sockets (liveness does not run the hanging check).
    const warm = await wave('/livez');
    expect(warm.statuses.every((s) => s === 200)).toBe(true);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await wave('/readyz?verbose'));
    for (const r of results) {
      expect(r.statuses.every((s) => s === 503)).toBe(true);
      expect(r.server).toHaveLength(200);
      const doc = JSON.parse(r.bodies[0] ?? '{}');
      expect(doc.checks['upstream:hang'][0]).toMatchObject({
        status: 'fail',
        output: `timed out after ${TIMEOUT_MS} ms`,
      });
      expect(doc.checks['self:ok'][0].status).toBe('pass');
      // generous "does not hang" bound; the measured figures are printed below
      expect(r.latencies.at(-1)).toBeLessThan(TIMEOUT_MS + 2000);
    }
    for (const [i, r] of results.entries())
      console.log(
        `[health] probe latency, check hanging forever (timeout ${TIMEOUT_MS} ms), 200 concurrent, wave ${i + 1}: ` +
          `client ${fmt(r.latencies)}; server ${fmt(r.server)}`,
      );
    // liveness is unaffected by the hanging dependency
    const live = await wave('/livez');
    expect(live.statuses.every((s) => s === 200)).toBe(true);
    expect(live.latencies.at(-1)).toBeLessThan(2000);
  });
});
