// The demo's live dashboard in a real browser: Debian's Chromium (no browser download) driven by playwright-core, the
// real demo as a child process (`node --import tsx src/main.ts`). Checks that the page runs under the demo's strict
// CSP (no securitypolicyviolation event, no console error, no request outside the demo), and that the panels follow
// the service: the upstream goes down (breaker opens, calls show their retries, the readiness check warns), a burst
// is answered 429 with Retry-After, the key rotates, the upstream comes back (breaker closes, the check passes).
// Screenshots go to .tmp/demo-browser/. Exits non-zero, listing every problem, when anything is wrong.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS } from '@org/runtimes/chromium';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

const DEMO_DIR = resolve(import.meta.dirname, '..');
const OUT = resolve(DEMO_DIR, '../../.tmp/demo-browser');
/** Longest wait for one step, so a broken page fails the run instead of hanging it. */
const STEP_MS = 20_000;
/** Statuses the dashboard provokes on purpose (Chromium logs each as "Failed to load resource"): 429, 502, 503. */
const EXPECTED_STATUS = /^Failed to load resource: the server responded with a status of (429|502|503)\b/;

const problems: string[] = [];
const problem = (msg: string): void => {
  problems.push(msg);
  console.error(`  ✗ ${msg}`);
};
const ok = (msg: string): void => console.log(`  ✓ ${msg}`);

if (!existsSync(CHROMIUM)) {
  console.error(`demo browser test: no Chromium at ${CHROMIUM}. Install Debian's package: apt-get install -y chromium`);
  process.exit(2);
}

/** Starts the demo and resolves with its URL once it prints "listening on". */
async function startDemo(dataDir: string): Promise<{ child: ChildProcess; base: string; output: () => string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    UPSTREAM_CYCLE_MS: '0',
    RATE_LIMIT: '30',
    RATE_WINDOW_MS: '10000',
    BREAKER_OPEN_MS: '1500',
    LOG_LEVEL: 'warn',
  };
  for (const k of ['REDIS_URL', 'APP_KEK', 'DATABASE_URL', 'KEYRING_NAME', 'CORS_ORIGINS']) delete env[k];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: DEMO_DIR, env, stdio: 'pipe' });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  const deadline = Date.now() + STEP_MS;
  for (;;) {
    const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (m) return { child, base: m[1]!, output: () => output };
    if (child.exitCode !== null) throw new Error(`the demo exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the demo did not start within ${STEP_MS} ms:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The page's DOM, as the predicates below see it when Playwright runs them in the page (this file is compiled for
// Node: no DOM types).
declare const document: any;

/**
 * Waits until `fn` (a function, run in the page through the DevTools protocol: a string would be eval'd by the page
 * and refused by its CSP) is true; a timeout is a problem named by `what`, not a crash.
 */
async function until(page: Page, what: string, fn: (arg: string) => boolean, arg = ''): Promise<boolean> {
  try {
    await page.waitForFunction(fn, arg, { timeout: STEP_MS, polling: 100 });
    ok(what);
    return true;
  } catch {
    problem(`${what}: not seen within ${STEP_MS} ms`);
    return false;
  }
}
const text = async (page: Page, sel: string): Promise<string> =>
  (await page.locator(sel).textContent({ timeout: STEP_MS })) ?? '';

const t0 = performance.now();
const dataDir = mkdtempSync(join(tmpdir(), 'demo-browser-data-'));
const profile = mkdtempSync(join(tmpdir(), 'demo-chromium-'));
const demo = await startDemo(dataDir);
const base = `${demo.base}/`;
let context: BrowserContext | undefined;
try {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: [...CHROMIUM_ARGS],
  });
  // no CDN, no external request: anything not served by the demo is a failure
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(base)) return route.continue();
    problem(`request outside the demo: ${url}`);
    return route.abort();
  });
  // Every CSP violation the page reports, as the page sees it (the listener is installed before any page script).
  await context.exposeFunction('__cspViolation', (v: string) => problem(`CSP violation: ${v}`));
  await context.addInitScript({
    content:
      "document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' (' + e.sourceFile + ':' + e.lineNumber + ')'));",
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error' && !EXPECTED_STATUS.test(m.text())) problem(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problem(`uncaught ${e.message}`));

  const res = await page.goto(base, { waitUntil: 'load', timeout: STEP_MS });
  const csp = (await res?.allHeaders())?.['content-security-policy'] ?? '';
  if (!/script-src 'self' 'nonce-[^']+'/.test(csp) || /script-src[^;]*unsafe-inline/.test(csp))
    problem(`the page's CSP does not restrict scripts to 'self' and a nonce: ${csp}`);
  if (!/script-src-attr 'none'/.test(csp)) problem(`the page's CSP allows inline handlers: ${csp}`);

  // 1. live and healthy
  await until(page, 'the page polls the demo', () => Number(document.body.dataset.updates) >= 2);
  await until(page, 'breaker closed', () => document.getElementById('breaker-state').textContent === 'closed');
  await until(page, 'readiness passes', () => document.getElementById('ready-status').textContent.startsWith('pass'));
  await until(
    page,
    'a /quote call answered on the first attempt',
    () => !!document.querySelector('#calls li[data-outcome=ok]'),
  );
  const firstKey = await text(page, '#primary-id');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(firstKey)) problem(`primary key id shown as ${JSON.stringify(firstKey)}`);
  await until(page, 'the rate-limit panel shows the quota', () =>
    /^\d+ \/ 30$/.test(document.getElementById('rl-remaining').textContent),
  );

  // 2. the upstream goes down
  await page.click('button[data-mode=down]');
  await until(
    page,
    'upstream mode shown as down',
    () => document.getElementById('upstream-mode').textContent === 'down',
  );
  await until(page, 'breaker open', () => document.getElementById('breaker-state').textContent === 'open');
  await until(page, 'a failed call shows its retry attempts', () =>
    [...document.querySelectorAll('#calls li[data-outcome=failed]')].some((li) => Number(li.dataset.attempts) > 1),
  );
  await until(
    page,
    'the timeline shows the open state',
    () => !!document.querySelector('#breaker-strip rect[data-state=open]'),
  );
  await until(
    page,
    'the upstream check warns in the readiness panel (not critical)',
    () => document.querySelector('#checks tr[data-check="upstream:responseTime"]')?.dataset.status === 'warn',
  );
  await page.screenshot({ path: join(OUT, 'dashboard-upstream-down.png'), fullPage: true, timeout: STEP_MS });

  // 3. a burst: 429s with Retry-After
  await page.click('#burst');
  await until(
    page,
    'the burst is answered 429 with Retry-After',
    () =>
      Number(document.getElementById('burst-result').dataset.denied) > 0 &&
      /^\d+$/.test(document.getElementById('burst-result').dataset.retryAfter),
  );
  await until(page, "the denied response's headers are shown", () =>
    document.getElementById('rl-headers').textContent.includes('retry-after: '),
  );

  // 4. the key rotates
  await page.click('#rotate');
  await until(
    page,
    'the primary key id changes and the rotation is listed',
    (k) =>
      document.getElementById('primary-id').textContent !== k &&
      document.getElementById('rotations').textContent.includes(k),
    firstKey,
  );

  // 5. the upstream comes back
  await page.click('button[data-mode=up]');
  await until(page, 'breaker closed again', () => document.getElementById('breaker-state').textContent === 'closed');
  await until(page, 'the timeline shows open then half-open then closed', () =>
    [...document.querySelectorAll('#breaker-strip rect')]
      .map((r) => r.dataset.state)
      .join(',')
      .includes('open,half-open,closed'),
  );
  await until(
    page,
    'the upstream check passes again',
    () => document.querySelector('#checks tr[data-check="upstream:responseTime"]')?.dataset.status === 'pass',
  );
  await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true, timeout: STEP_MS });
} catch (e) {
  problem(`the test stopped: ${(e as Error).message}`);
} finally {
  await context?.close();
  demo.child.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => {
    if (demo.child.exitCode !== null) r(demo.child.exitCode);
    else demo.child.once('exit', (c) => r(c));
  });
  if (code !== 0) problem(`the demo exited with ${code} on SIGTERM:\n${demo.output()}`);
  rmSync(profile, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(
  `demo browser test: ${problems.length === 0 ? 'ok' : `${problems.length} problems`}, screenshots in ${OUT} (${Math.round(performance.now() - t0)} ms)`,
);
process.exit(problems.length === 0 ? 0 : 1);
