// The dashboard's server side, over HTTP against a real demo (in this process): the page is CSP-clean by construction
// (one nonce'd script and style, no inline handler, nothing external), and the JSON it polls is read-only, carries no
// secret and follows the service. The page itself runs in Chromium in scripts/browser-test.ts.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemo, configFromEnv, type Demo } from '../src/app.js';
import type { DashboardState } from '../src/dashboard/routes.js';

const BREAKER_OPEN_MS = 1_000;
const agent = new Agent({ keepAliveTimeout: 1_000 });
let demo: Demo;
let dataDir = '';

async function get(path: string, method: 'GET' | 'POST' = 'GET') {
  const res = await request(`${demo.url}${path}`, { dispatcher: agent, method });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}
const state = async (): Promise<DashboardState> => JSON.parse((await get('/dashboard/state')).text);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'org-demo-dashboard-'));
  demo = await buildDemo({
    ...configFromEnv({}),
    port: 0,
    dataDir,
    upstreamCycleMs: 0,
    rateLimit: 20,
    rateWindowMs: 60_000,
    breakerOpenMs: BREAKER_OPEN_MS,
    logLevel: 'fatal',
  });
});
afterAll(async () => {
  await demo?.close();
  await agent.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the dashboard', () => {
  it('is one page whose only script and style carry the CSP nonce, with no inline handler and nothing external', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    const nonce = /'nonce-([^']+)'/.exec(String(r.headers['content-security-policy']))?.[1];
    expect(nonce).toBeTruthy();
    expect(String(r.headers['content-security-policy'])).toContain("script-src-attr 'none'");
    const tags = [...r.text.matchAll(/<(script|style)\b([^>]*)>/g)];
    expect(tags.map((t) => t[1])).toEqual(['style', 'script']);
    for (const t of tags) expect(t[2]).toBe(` nonce="${nonce}"`);
    expect(r.text).not.toMatch(/\son[a-z]+\s*=/i); // no inline handler
    expect(r.text).not.toMatch(/\sstyle\s*=/i); // no style attribute
    expect(r.text).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing from another origin
    // a new nonce per response
    const again = /'nonce-([^']+)'/.exec(String((await get('/')).headers['content-security-policy']))?.[1];
    expect(again).not.toBe(nonce);
  });

  it('follows the upstream: each call with its attempts, the breaker opening and closing, the check warning', async () => {
    const s0 = await state();
    expect(s0.breaker.state).toBe('closed');
    expect(s0.breaker.transitions).toEqual([expect.objectContaining({ from: null, to: 'closed', reason: 'start' })]);
    expect((await get('/quote')).status).toBe(200);
    expect((await state()).calls[0]).toMatchObject({ outcome: 'ok', attempts: [{ n: 1, outcome: 'ok' }] });

    expect(JSON.parse((await get('/admin/upstream?mode=down', 'POST')).text)).toMatchObject({ mode: 'down' });
    expect((await get('/quote')).status).toBe(502);
    const s1 = await state();
    expect(s1.upstream.mode).toBe('down');
    // three attempts, the third failure opens the circuit
    expect(s1.calls[0]!.outcome).toBe('failed');
    expect(s1.calls[0]!.attempts.map((a) => [a.n, a.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'failed'],
    ]);
    expect(s1.breaker.state).toBe('open');
    expect(s1.breaker.transitions.at(-1)).toMatchObject({ from: 'closed', to: 'open' });
    expect(s1.breaker.retryAfterMs).toBeGreaterThan(0);
    // an open circuit refuses at once: one attempt, not retried
    expect((await get('/quote')).status).toBe(503);
    expect((await state()).calls[0]!.attempts).toEqual([expect.objectContaining({ n: 1, outcome: 'rejected' })]);
    // the readiness panel: the upstream check warns (it is not critical: the service stays ready)
    await new Promise((r) => setTimeout(r, 1_100)); // past the health cache
    const s2 = await state();
    const check = s2.readiness.checks.find((c) => c.name === 'upstream:responseTime');
    expect(check?.status).toBe('warn');
    expect(check?.output).toContain('503');
    expect(s2.readiness.status).toBe('warn');

    await get('/admin/upstream?mode=up', 'POST');
    await new Promise((r) => setTimeout(r, BREAKER_OPEN_MS + 100));
    expect((await get('/quote')).status).toBe(200);
    const s3 = await state();
    expect(s3.breaker.state).toBe('closed');
    expect(s3.breaker.transitions.slice(-3).map((t) => t.to)).toEqual(['open', 'half-open', 'closed']);
    expect(s3.readiness.checks.find((c) => c.name === 'upstream:responseTime')?.status).toBe('pass');
  });

  it('polls a state that is not rate limited, while the burst target is', async () => {
    const before = await state();
    for (let i = 0; i < 8; i++) expect((await get('/dashboard/state')).status).toBe(200);
    const s = await state();
    expect(s.rateLimit.limit).toBe(20);
    expect(s.rateLimit.remaining).toBe(before.rateLimit.remaining);
    expect(s.rateLimit.remaining).toBeGreaterThan(0);
    const statuses: number[] = [];
    for (let i = 0; i < s.rateLimit.remaining + 2; i++) statuses.push((await get('/dashboard/ping')).status);
    // every request within the quota passes; the quota refills one request per 3 s, so at least one of the two
    // requests past it is denied (both, unless a refill fell in between)
    expect(statuses.slice(0, s.rateLimit.remaining).every((x) => x === 200)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    const denied = await get('/dashboard/ping');
    expect(Number(denied.headers['retry-after'])).toBeGreaterThan(0);
    const after = await state();
    expect(after.rateLimit.remaining).toBe(0);
    expect(after.rateLimit.resetMs).toBeGreaterThan(0);
    expect(Object.keys(after.rateLimit.headers).map((k) => k.toLowerCase())).toContain('ratelimit');
  });

  it('shows readiness with each check, and the keyring by id and state only (no key material)', async () => {
    const s = await state();
    expect(s.readiness.status).toBe('pass');
    expect(s.readiness.checks.map((c) => c.name)).toContain('upstream:responseTime');
    expect(s.keyring.primaryId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    for (const k of s.keyring.keys) expect(Object.keys(k).sort()).toEqual(['activatedAt', 'createdAt', 'id', 'state']);
    expect(s.keyring.nextRotationAt).toBeGreaterThan(s.now);
    // the key file's secret material appears nowhere in what the dashboard serves
    const file = JSON.parse(await readFile(join(dataDir, 'keys.json'), 'utf8')) as unknown;
    const secrets = JSON.stringify(file).match(/[A-Za-z0-9+/_-]{40,}/g) ?? [];
    expect(secrets.length).toBeGreaterThan(0);
    const body = (await get('/dashboard/state')).text;
    for (const x of secrets) expect(body).not.toContain(x);

    const rotated = JSON.parse((await get('/admin/rotate-key', 'POST')).text) as { previous: string; primary: string };
    const t = await state();
    expect(t.keyring.primaryId).toBe(rotated.primary);
    expect(t.keyring.rotations[0]).toMatchObject({ previous: rotated.previous, primary: rotated.primary });
    expect(t.keyring.keys.find((k) => k.id === rotated.previous)?.state).toBe('decrypt-only');
  });
});
