// The built site in a real browser: Debian's Chromium (no browser download) driven by playwright-core.
// Every page reachable from the landing page loads with no console error and no failed request, every internal link
// (and #anchor) resolves, the search finds each package by name, the pictures and charts render at their size, and
// screenshots of the landing page and of each guide are kept under .tmp/docs-browser/ (a CI artefact).
// Run after `pnpm docs:build`. Exits non-zero, listing every problem, when anything is wrong.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { CHROMIUM, CHROMIUM_ARGS } from '@org/runtimes/chromium';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { discoverPackages, REPO_ROOT } from './lib/packages.js';

const DIST = join(REPO_ROOT, 'apps/docs/dist');
const OUT = join(REPO_ROOT, '.tmp/docs-browser');
/** Longest wait for one page or one search, so a broken page fails the run instead of hanging it. */
const STEP_MS = 20_000;
/** A search for a package's name must show its guide among this many first results. */
const TOP_RESULTS = 3;

const problems: string[] = [];
const problem = (msg: string): void => {
  problems.push(msg);
  console.error(`  ✗ ${msg}`);
};

if (!existsSync(CHROMIUM)) {
  console.error(`browser test: no Chromium at ${CHROMIUM}. Install Debian's package: apt-get install -y chromium`);
  process.exit(2);
}
if (!existsSync(join(DIST, 'index.html'))) {
  console.error(`browser test: no built site in ${DIST}. Run pnpm docs:build first.`);
  process.exit(2);
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The files of the built site, as a static host serves them (`/x/` is `/x/index.html`). */
function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(DIST, path));
    if (!file.startsWith(DIST)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404, { 'content-type': TYPES['.html']! }).end(readFileSync(join(DIST, '404.html')));
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** What one page offers to the link check: its element ids and its links. */
interface Visited {
  ids: Set<string>;
  links: string[];
}

async function visit(page: Page, url: string): Promise<Visited | undefined> {
  const res = await page.goto(url, { waitUntil: 'load', timeout: STEP_MS });
  if (res === null || res.status() !== 200) {
    problem(`${url}: HTTP ${res?.status() ?? 'no response'}`);
    return undefined;
  }
  // hydration done: VitePress's app root is filled in by Vue
  await page.waitForSelector('#app .VPContent', { timeout: STEP_MS });
  const found = await page.evaluate(() => ({
    ids: [...document.querySelectorAll('[id]')].map((e) => e.id),
    links: [...document.querySelectorAll('a[href]')].map((a) => (a as HTMLAnchorElement).href),
  }));
  return { ids: new Set(found.ids), links: found.links };
}

/** Every picture and chart on the page is loaded and drawn at the size its SVG declares (scaled to fit). */
async function checkImages(page: Page, base: string): Promise<number> {
  const imgs = await page.evaluate(async () => {
    const list = [...document.querySelectorAll('img.picture, img.chart')] as HTMLImageElement[];
    await Promise.all(
      list.map((i) => (i.complete ? null : new Promise((r) => i.addEventListener('load', r, { once: true })))),
    );
    return list.map((i) => {
      const r = i.getBoundingClientRect();
      return { src: i.getAttribute('src') ?? '', nw: i.naturalWidth, nh: i.naturalHeight, w: r.width, h: r.height };
    });
  });
  for (const i of imgs) {
    const svg = await (await fetch(new URL(i.src, base))).text();
    const m = /<svg[^>]*\bwidth="(\d+)"[^>]*\bheight="(\d+)"/.exec(svg);
    if (m === null) {
      problem(`${i.src}: not an SVG with width and height`);
      continue;
    }
    const [sw, sh] = [Number(m[1]), Number(m[2])];
    if (i.nw !== sw || i.nh !== sh) problem(`${i.src}: drawn from ${i.nw}x${i.nh}, the SVG says ${sw}x${sh}`);
    if (!(i.w > 100 && i.h > 50)) problem(`${i.src}: rendered ${i.w}x${i.h} px (empty or collapsed)`);
    else if (Math.abs(i.h - (i.w * sh) / sw) > 2)
      problem(`${i.src}: rendered ${i.w}x${i.h}, not the SVG's aspect ratio`);
  }
  return imgs.length;
}

/** Opens the search box on the landing page and searches each package's name: its guide must be in the first results. */
async function searchFindsEach(
  page: Page,
  base: string,
  packages: ReadonlyArray<{ name: string; slug: string }>,
): Promise<void> {
  await page.goto(base, { waitUntil: 'load', timeout: STEP_MS });
  await page.waitForSelector('#app .VPContent', { timeout: STEP_MS });
  await page.locator('.VPNavBarSearch button').first().click();
  const input = page.locator('.VPLocalSearchBox input');
  await input.waitFor({ timeout: STEP_MS });
  for (const { name, slug } of packages) {
    await input.fill(name);
    const want = `/guide/${slug}.html`;
    try {
      await page.waitForFunction(
        ({ w, n }) =>
          [...document.querySelectorAll('.VPLocalSearchBox a.result')]
            .slice(0, n)
            .some((a) => new URL((a as HTMLAnchorElement).href).pathname === w),
        { w: want, n: TOP_RESULTS },
        { timeout: STEP_MS },
      );
    } catch {
      const got = await page.$$eval('.VPLocalSearchBox a.result', (as) =>
        as.slice(0, 5).map((a) => (a as HTMLAnchorElement).pathname),
      );
      problem(`search "${name}": ${want} is not in the first ${TOP_RESULTS} results (${got.join(', ') || 'none'})`);
    }
  }
}

const t0 = performance.now();
const server = await serve();
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
const profile = mkdtempSync(join(tmpdir(), 'docs-chromium-'));
let context: BrowserContext | undefined;
let pages = 0;
let images = 0;
try {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [...CHROMIUM_ARGS],
  });
  // the site must work offline: anything not served by the local server is a failure
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(base) || url.startsWith('data:')) return route.continue();
    problem(`request outside the site: ${url}`);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  let current = '';
  page.on('console', (m) => {
    if (m.type() === 'error') problem(`${current}: console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problem(`${current}: uncaught ${e.message}`));
  page.on('requestfailed', (r) => {
    if (!r.url().startsWith(base)) return; // reported by the route above
    // the browser cancels what is still loading (VitePress prefetches the pages linked from the viewport) when the
    // test moves on; an error answer would show as an HTTP status below
    if (r.failure()?.errorText === 'net::ERR_ABORTED') return;
    problem(`${current}: request failed: ${r.url()} (${r.failure()?.errorText})`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problem(`${current}: HTTP ${r.status()} for ${r.url()}`);
  });

  // crawl every page reachable from the landing page
  const seen = new Map<string, Visited | undefined>();
  const queue = ['/'];
  const links: Array<{ from: string; to: URL }> = [];
  while (queue.length > 0) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    current = path;
    const v = await visit(page, new URL(path, base).href);
    seen.set(path, v);
    pages++;
    if (v === undefined) continue;
    images += await checkImages(page, base);
    if (path === '/') await page.screenshot({ path: join(OUT, 'landing.png'), timeout: STEP_MS });
    const guide = /^\/guide\/([^/]+)\.html$/.exec(path);
    if (guide) await page.screenshot({ path: join(OUT, `guide-${guide[1]}.png`), timeout: STEP_MS });
    for (const href of v.links) {
      const to = new URL(href);
      if (to.origin !== new URL(base).origin) continue;
      links.push({ from: path, to });
      const p = to.pathname === '/index.html' ? '/' : to.pathname;
      if ((p.endsWith('.html') || p.endsWith('/')) && !seen.has(p)) queue.push(p);
    }
  }

  // every internal link resolves: its page was served, its #anchor exists there; other files exist
  let checked = 0;
  for (const { from, to } of links) {
    const p = to.pathname === '/index.html' ? '/' : to.pathname;
    checked++;
    if (p.endsWith('.html') || p.endsWith('/')) {
      const target = seen.get(p);
      if (target === undefined) {
        problem(`${from}: link to ${p} does not resolve`);
        continue;
      }
      const id = decodeURIComponent(to.hash.slice(1));
      if (id !== '' && !target.ids.has(id)) problem(`${from}: link to ${p}#${id}: no such anchor`);
    } else {
      const r = await fetch(to);
      if (r.status !== 200) problem(`${from}: link to ${to.pathname}: HTTP ${r.status}`);
    }
  }

  // the search finds each package by name
  const packages = discoverPackages();
  current = 'search';
  await searchFindsEach(page, base, packages);

  // every package has its guide, and the four pictures their pages
  for (const p of packages)
    if (!seen.has(`/guide/${p.slug}.html`)) problem(`no page reached for /guide/${p.slug}.html`);
  for (const pic of ['breaker-states', 'request-path', 'key-rotation', 'graceful-shutdown'])
    if (!seen.has(`/pictures/${pic}.html`)) problem(`no page reached for /pictures/${pic}.html`);

  console.log(
    `browser test: ${pages} pages, ${checked} internal links, ${images} pictures/charts, search for ${packages.length} packages, screenshots in ${OUT} (${Math.round(performance.now() - t0)} ms)`,
  );
} catch (e) {
  problem(`browser test aborted: ${(e as Error).stack ?? e}`);
} finally {
  await context?.close().catch(() => {});
  await new Promise((r) => server.close(r));
  server.closeAllConnections();
  rmSync(profile, { recursive: true, force: true });
}
if (problems.length > 0) {
  console.error(`\nbrowser test: ${problems.length} problems`);
  process.exit(1);
}
