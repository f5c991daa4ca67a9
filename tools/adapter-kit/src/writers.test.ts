// The two writers of a header plan hold to the same rule (header-plan.ts): on a real Node response and on Fetch
// Responses, the route's own headers win, Vary is merged, the removals hold.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePlanToFetch, writeRouteFixups } from './fetch-writer.js';
import { type HeaderPlan, PlanPolicy } from './header-plan.js';
import { writePlanToNode } from './node-writer.js';

const policy = new PlanPolicy({
  headers: {
    entries: [
      ['X-Frame-Options', 'SAMEORIGIN'],
      ['X-Content-Type-Options', 'nosniff'],
    ],
    remove: ['X-Powered-By'],
  },
  useNonce: false,
  responseTime: true,
  rateFormat: 'draft-10',
  formatHeaders: undefined,
});
const plan = (): HeaderPlan => {
  const p = policy.plan(performance.now());
  p.add('x-request-id', 'plan-id');
  p.cors({
    preflight: false,
    allowed: true,
    status: 0,
    headers: [['Access-Control-Allow-Origin', 'https://a.example']],
    vary: ['Origin'],
  });
  return p;
};

describe('writePlanToNode on a real server', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/route') {
        res.setHeader('X-Frame-Options', 'DENY');
        res.setHeader('x-request-id', 'route-id');
        res.setHeader('x-response-time', 'route-time');
        res.setHeader('Vary', 'Accept-Encoding');
        res.setHeader('X-Powered-By', 'route');
      }
      writePlanToNode(res, plan(), req.url === '/close');
      res.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("writes the plan's names in lower case, as the Fetch writer does", async () => {
    const names = await new Promise<string[]>((resolve, reject) => {
      http
        .get(`${base}/plain`, (res) => {
          res.resume();
          // rawHeaders keeps the names as they went on the wire
          resolve(res.rawHeaders.filter((_, i) => i % 2 === 0));
        })
        .on('error', reject);
    });
    for (const n of ['x-frame-options', 'x-content-type-options', 'access-control-allow-origin', 'x-request-id'])
      expect(names).toContain(n);
    expect(names).not.toContain('X-Frame-Options');
  });

  it('fills what the response lacks', async () => {
    const r = await request(`${base}/plain`);
    await r.body.text();
    expect(r.headers).toMatchObject({
      'x-frame-options': 'SAMEORIGIN',
      'x-content-type-options': 'nosniff',
      'x-request-id': 'plan-id',
      'access-control-allow-origin': 'https://a.example',
      vary: 'Origin',
    });
    expect(r.headers['x-response-time']).toMatch(/^\d+\.\d{3}ms$/);
    expect(r.headers.connection).not.toBe('close');
  });

  it("keeps the route's values, merges Vary, removes the removals, closes when asked", async () => {
    const r = await request(`${base}/route`);
    await r.body.text();
    expect(r.headers).toMatchObject({
      'x-frame-options': 'DENY',
      'x-request-id': 'route-id',
      'x-response-time': 'route-time',
      vary: 'Accept-Encoding, Origin',
      'x-content-type-options': 'nosniff',
    });
    expect(r.headers['x-powered-by']).toBeUndefined();
    const c = await request(`${base}/close`);
    await c.body.text();
    expect(c.headers.connection).toBe('close');
  });
});

describe('writePlanToFetch', () => {
  it('holds to the same rule on a Response, and copies one whose headers cannot change', () => {
    const route = new Response('ok', {
      headers: { 'x-frame-options': 'DENY', vary: 'Accept-Encoding', 'x-powered-by': 'route' },
    });
    const out = writePlanToFetch(route, plan(), false);
    expect(out).toBe(route);
    expect(Object.fromEntries(out.headers)).toMatchObject({
      'x-frame-options': 'DENY',
      'x-request-id': 'plan-id',
      'access-control-allow-origin': 'https://a.example',
      vary: 'Accept-Encoding, Origin',
    });
    expect(out.headers.get('x-powered-by')).toBeNull();
    const redirect = Response.redirect('https://a.example/x', 302);
    const copied = writePlanToFetch(redirect, plan(), true);
    expect(copied).not.toBe(redirect);
    expect(copied.status).toBe(302);
    expect(copied.headers.get('location')).toBe('https://a.example/x');
    expect(copied.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(copied.headers.get('connection')).toBe('close');
  });

  it("writeRouteFixups merges Vary into the route's and removes the removals, touching nothing else", () => {
    const route = new Response('ok', {
      headers: { vary: 'Accept', 'x-powered-by': 'route', 'x-frame-options': 'DENY' },
    });
    const out = writeRouteFixups(route, plan());
    expect(Object.fromEntries(out.headers)).toEqual({
      'content-type': 'text/plain;charset=UTF-8',
      vary: 'Accept, Origin',
      'x-frame-options': 'DENY',
    });
  });
});
