// The admin routes (POST /admin/upstream, /admin/rotate-key) as a browser and a remote client meet them: the real
// demo as a child process, Debian's Chromium driven by playwright-core, requests over HTTP with undici.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM } from '@org/runtimes/chromium';
import { type Browser, chromium } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DEMO_DIR = join(import.meta.dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let child: ChildProcess | undefined;
let output = '';
let base = '';
let dataDir = '';
let browser: Browser | undefined;
let evil: Server | undefined;

const logLines = (): Array<Record<string, unknown>> =>
  output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function call(path: string, opts: { method?: 'GET' | 'POST'; headers?: Record<string, string> } = {}) {
  const r = await request(`${base}${path}`, { method: opts.method ?? 'GET', headers: opts.headers ?? {} });
  const text = await r.body.text();
  return { status: r.statusCode, text, json: () => JSON.parse(text) };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'org-demo-admin-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    UPSTREAM_CYCLE_MS: '0',
    CORS_ORIGINS: 'https://app.example',
    TRUST_PROXY: 'loopback',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
  };
  for (const k of ['REDIS_URL', 'APP_KEK', 'DATABASE_URL', 'KEYRING_NAME']) delete env[k];
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: DEMO_DIR, env, stdio: 'pipe' });
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  const deadline = Date.now() + 15_000;
  while (!base) {
    const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (m) base = m[1]!;
    else if (child.exitCode !== null) throw new Error(`demo exited early:\n${output}`);
    else if (Date.now() > deadline) throw new Error(`demo did not start within 15 s:\n${output}`);
    else await sleep(50);
  }
}, 30_000);

afterAll(async () => {
  await browser?.close();
  evil?.close();
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('@org/demo admin routes', () => {
  it('a cross-site text/plain POST from a browser on the same machine does not drive /admin/upstream', async () => {
    // a page on another site (localhost, not 127.0.0.1) posting a "simple" request: no preflight, the classic CSRF
    const target = `${base}/admin/upstream?mode=down`;
    evil = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(
          `<!doctype html><title>pending</title><script>fetch(${JSON.stringify(target)},{method:"POST",mode:"no-cors",headers:{"content-type":"text/plain"},body:"x"}).then(()=>{document.title="sent"},()=>{document.title="failed"})</script>`,
        );
    });
    await new Promise<void>((r) => evil!.listen(0, '127.0.0.1', r));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const page = await browser.newPage();
    await page.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
    await page.waitForFunction('document.title !== "pending"', undefined, { timeout: 10_000 });
    // the page cannot read the answer either way (Cross-Origin-Resource-Policy blocks it): what counts is the server
    expect(['sent', 'failed']).toContain(await page.title());
    await sleep(200);
    // the upstream is still up: the quote still comes, and nobody set the mode by hand
    expect((await call('/quote')).status).toBe(200);
    expect(logLines().filter((l) => l.msg === 'upstream mode set by hand (cycling stopped)')).toEqual([]);
    expect(logLines()).toContainEqual(
      expect.objectContaining({ msg: 'request refused', code: 'ERR_CROSS_ORIGIN_REQUEST', path: '/admin/upstream' }),
    );
  });

  it('answers loopback clients only, by the IP allow list (403 problem+json with code ERR_IP_DENIED)', async () => {
    for (const path of ['/admin/upstream?mode=up', '/admin/rotate-key']) {
      // a remote client behind the trusted loopback proxy
      const r = await call(path, { method: 'POST', headers: { 'x-forwarded-for': '203.0.113.9' } });
      expect(r.status, path).toBe(403);
      expect(r.json()).toMatchObject({ status: 403, code: 'ERR_IP_DENIED', instance: path.split('?')[0] });
    }
    expect(logLines()).toContainEqual(
      expect.objectContaining({ msg: 'request refused', code: 'ERR_IP_DENIED', ip: '203.0.113.9' }),
    );
    // a client on this machine, and the trusted proxy's own address
    expect((await call('/admin/upstream?mode=up', { method: 'POST' })).json()).toMatchObject({ mode: 'up' });
    expect(
      (await call('/admin/upstream?mode=up', { method: 'POST', headers: { 'x-forwarded-for': '::1' } })).status,
    ).toBe(200);
  });
});
