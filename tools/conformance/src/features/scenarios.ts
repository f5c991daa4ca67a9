// The scenarios of the features server (serve.ts <app> --features), run against every adapter on every runtime like
// the main ones: IP allow / deny lists, the CSRF guard (with real browser requests from Debian's Chromium), the 504
// timeout, and legacy-window RateLimit headers for a 60/minute + 1000/hour pair.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CHROMIUM } from '@org/runtimes/chromium';
import { type Browser, chromium } from 'playwright-core';
import { expect } from 'vitest';
import type { LogRecord } from '../harness.js';
import { type Ctx, freshIp, type Res, type Scenario, until } from '../scenarios.js';
import { FEATURE_TIMEOUT_MS, TRUSTED_ORIGIN } from './stack.js';

let nextId = 1;
const ownId = (t: Ctx, what: string): string => `${what}-${t.target.app}-${nextId++}-${Date.now()}`;
const linesOf = (t: Ctx, id: string): LogRecord[] => t.logs().filter((l) => l.requestId === id);

/** An RFC 9457 body with its code. */
function expectCoded(r: Res, status: number, code: string, path: string): Record<string, unknown> {
  expect(r.status, r.text).toBe(status);
  expect(r.headers['content-type']).toBe('application/problem+json');
  const body = r.json();
  expect(body).toMatchObject({ type: 'about:blank', status, code, instance: path });
  expect(body.requestId).toBe(r.headers['x-request-id']);
  return body;
}

/** Exactly one `request refused` warn line with this code for the request id (and the access line beside it). */
async function expectRefusalLine(t: Ctx, id: string, code: string): Promise<void> {
  expect(await until(() => linesOf(t, id).some((l) => l.msg === 'request completed')), 'access line').toBe(true);
  await new Promise((r) => setTimeout(r, 30));
  const refused = linesOf(t, id).filter((l) => l.msg === 'request refused');
  expect(refused).toEqual([expect.objectContaining({ code, level: 40 })]);
}

let browser: Promise<Browser> | undefined;
/** One headless Chromium for the whole run (closed by {@link closeBrowser}). */
const theBrowser = (): Promise<Browser> => {
  browser ??= chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  return browser;
};
export async function closeBrowser(): Promise<void> {
  const b = browser;
  browser = undefined;
  await (await b)?.close();
}

/** Serves one page on 127.0.0.1 (another origin than the app's: another port, or `localhost`). */
async function pageServer(html: string): Promise<{ port: number; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, server };
}

export const featureScenarios: Scenario[] = [
  {
    name: 'ip lists: the app-wide deny list refuses IPv4, IPv6 and IPv4-mapped clients with 403 ERR_IP_DENIED and one warn line, before rate limiting',
    async run(t) {
      for (const ip of ['192.0.2.10', '::ffff:192.0.2.11', '2001:db8:bad:1::5', '2001:DB8:BAD::']) {
        const id = ownId(t, 'deny');
        const r = await t.req('/hello', { clientIp: ip, headers: { 'x-request-id': id } });
        const body = expectCoded(r, 403, 'ERR_IP_DENIED', '/hello');
        expect(body.title).toBe('Forbidden');
        // refused before the limiter: it never counted this request
        expect(r.headers['x-ratelimit-limit-minute'], ip).toBeUndefined();
        await expectRefusalLine(t, id, 'ERR_IP_DENIED');
      }
      for (const ip of ['192.0.3.1', '2001:db8:bae::1', '198.51.100.77'])
        expect((await t.req('/hello', { clientIp: ip })).status, ip).toBe(200);
      // the list reads the trusted address: a client cannot hide behind a left-most X-Forwarded-For entry of its own
      expect((await t.req('/hello', { clientIp: '198.51.100.8, 192.0.2.12' })).status).toBe(403);
      expect((await t.req('/ip', { clientIp: '192.0.2.1, 198.51.100.9' })).json().ip).toBe('198.51.100.9');
    },
  },
  {
    name: 'ip lists: a per-route allow list guards /admin/* on the same trusted client address',
    async run(t) {
      for (const ip of ['203.0.113.5', '::ffff:203.0.113.9', '2001:db8:ad::7'])
        expect((await t.req('/admin/op', { method: 'POST', clientIp: ip })).json(), ip).toEqual({ admin: true });
      for (const ip of ['198.51.100.1', '203.0.114.1', '2001:db8:ae::1', '203.0.113.5, 198.51.100.2', null]) {
        const id = ownId(t, 'admin');
        const r = await t.req('/admin/op', { method: 'POST', clientIp: ip, headers: { 'x-request-id': id } });
        expectCoded(r, 403, 'ERR_IP_DENIED', '/admin/op');
        await expectRefusalLine(t, id, 'ERR_IP_DENIED');
      }
      // other routes are not on the list
      expect((await t.req('/hello', { clientIp: '198.51.100.1' })).status).toBe(200);
    },
  },
  {
    name: 'csrf: unsafe cross-site requests get 403 ERR_CROSS_ORIGIN_REQUEST (Sec-Fetch-Site, else Origin vs Host); trusted origins, exempt paths and safe methods pass',
    async run(t) {
      const post = (path: string, headers: Record<string, string>) =>
        t.req(path, { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body: 'x' });
      for (const site of ['cross-site', 'same-site']) {
        const id = ownId(t, 'csrf');
        const r = await post('/submit', { 'sec-fetch-site': site, 'x-request-id': id });
        expect(expectCoded(r, 403, 'ERR_CROSS_ORIGIN_REQUEST', '/submit').detail).toMatch(/Sec-Fetch-Site/);
        await expectRefusalLine(t, id, 'ERR_CROSS_ORIGIN_REQUEST');
      }
      for (const site of ['same-origin', 'none'])
        expect((await post('/submit', { 'sec-fetch-site': site })).status, site).toBe(200);
      // an old browser: no Sec-Fetch-Site, so Origin is compared with Host
      const old = await post('/submit', { origin: 'https://evil.example' });
      expect(expectCoded(old, 403, 'ERR_CROSS_ORIGIN_REQUEST', '/submit').detail).toMatch(/Origin does not match Host/);
      const host = new URL(t.url).host;
      expect((await post('/submit', { origin: `http://${host}` })).status).toBe(200);
      // neither header: not a browser
      expect((await post('/submit', {})).status).toBe(200);
      // the trusted front end, and the exempt webhook path
      expect((await post('/submit', { 'sec-fetch-site': 'cross-site', origin: TRUSTED_ORIGIN })).status).toBe(200);
      expect(
        (await post('/hooks/in', { 'sec-fetch-site': 'cross-site', origin: 'https://hooks.example' })).status,
      ).toBe(200);
      // safe methods are never refused
      expect((await t.req('/hello', { headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(200);
      // methods are case-sensitive: only GET, HEAD and OPTIONS are safe
      for (const method of ['PUT', 'DELETE', 'PATCH'] as const)
        expect((await t.req('/submit', { method, headers: { 'sec-fetch-site': 'cross-site' } })).status, method).toBe(
          403,
        );
    },
  },
  {
    name: 'csrf: a real browser (Chromium) — cross-site and same-site text/plain POSTs are refused before any route; the same form on the app origin passes',
    async run(t) {
      // each browser request has a path of its own, so a late log line of an earlier scenario cannot pass for it
      const refusedAt = (path: string) =>
        t.logs().filter((l) => l.msg === 'request refused' && l.code === 'ERR_CROSS_ORIGIN_REQUEST' && l.path === path)
          .length;
      const seen = () => JSON.stringify(t.logs().filter((l) => String(l.path).startsWith('/browser')));
      const page = (path: string) =>
        `<!doctype html><title>pending</title><script>fetch(${JSON.stringify(`${t.url}${path}`)},{method:"POST",mode:"no-cors",headers:{"content-type":"text/plain"},body:"mode=down"}).then(()=>{document.title="sent"},()=>{document.title="failed"})</script>`;
      // a page on another site (localhost, not 127.0.0.1) posting a "simple" request: no preflight, the classic CSRF
      const cross = await pageServer(page('/browser/cross-site'));
      const same = await pageServer(page('/browser/same-site'));
      const b = await theBrowser();
      const tab = await b.newPage();
      try {
        await tab.goto(`http://localhost:${cross.port}/`);
        await tab.waitForFunction('document.title !== "pending"', undefined, { timeout: 10_000 });
        expect(await tab.title()).toBe('sent');
        expect(await until(() => refusedAt('/browser/cross-site') > 0), `cross-site: ${seen()}`).toBe(true);
        // a page on the same host, another port: same-site, not same-origin, refused as Go's guard does
        await tab.goto(`http://127.0.0.1:${same.port}/`);
        await tab.waitForFunction('document.title !== "pending"', undefined, { timeout: 10_000 });
        expect(await until(() => refusedAt('/browser/same-site') > 0), `same-site: ${seen()}`).toBe(true);
        // the same-origin page of the app itself posts to /submit: allowed
        await tab.goto(`${t.url}/form`);
        await tab.waitForFunction('document.title !== "pending"', undefined, { timeout: 10_000 });
        expect(await tab.title()).toBe('status 200');
      } finally {
        await tab.close();
        cross.server.close();
        same.server.close();
      }
    },
  },
  {
    name: 'timeoutStatus 504: a handler slower than timeoutMs gets 504 problem+json with code ERR_REQUEST_TIMEOUT',
    async run(t) {
      const t0 = Date.now();
      const r = await t.req('/never');
      expect(expectCoded(r, 504, 'ERR_REQUEST_TIMEOUT', '/never').title).toBe('Gateway Timeout');
      expect(Date.now() - t0).toBeLessThan(FEATURE_TIMEOUT_MS + 3000);
    },
  },
  {
    name: 'legacy-window headers: X-RateLimit-Limit/Remaining-Minute and -Hour on every response of a 60/minute + 1000/hour pair; the 61st request in a minute → 429',
    async run(t) {
      const ip = freshIp();
      for (let i = 0; i < 60; i++) {
        const r = await t.req('/hello', { clientIp: ip });
        expect(r.status).toBe(200);
        expect(r.headers['x-ratelimit-limit-minute']).toBe('60');
        expect(r.headers['x-ratelimit-remaining-minute']).toBe(String(59 - i));
        expect(r.headers['x-ratelimit-limit-hour']).toBe('1000');
        expect(r.headers['x-ratelimit-remaining-hour']).toBe(String(999 - i));
        expect(r.headers['ratelimit-policy']).toBeUndefined();
        expect(r.headers.ratelimit).toBeUndefined();
      }
      const denied = await t.req('/hello', { clientIp: ip });
      expectCoded(denied, 429, 'ERR_RATE_LIMITED', '/hello');
      expect(denied.headers['x-ratelimit-remaining-minute']).toBe('0');
      expect(denied.headers['x-ratelimit-remaining-hour']).toBe('940');
      expect(Number(denied.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(denied.headers['retry-after'])).toBeLessThanOrEqual(60);
    },
  },
];
