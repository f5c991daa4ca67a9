// The consumer matrix: every published package, installed alone from the local registry into a fresh project with
// npm, checked the way its users meet it. Results are cells (package × check) with pass, fail or skip-with-reason.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { CASES, wrongOptionFile } from './cases.js';
import { runExample } from './example.js';
import { runProc, tail } from './proc.js';
import { blockSource, documentedInstall } from './readme.js';
import { readmeFiles } from './readme-files.js';
import type { Published } from './release.js';
import type { RuntimeTable } from './runtime-table.js';
import { columnOf, runSmoke, SMOKE_TARGETS, writeSmokeRunners } from './smoke.js';
import { type CheckFile, type CheckResult, PROFILES } from './typecheck.js';
import type { Registry } from './verdaccio.js';
import { installedPackageDir, type Manifest, ROOT, typesPackageName } from './workspace.js';

/** One check of one package. */
export interface Cell {
  pkg: string;
  check: string;
  status: 'pass' | 'fail' | 'skip';
  ms: number;
  /** Summary of a pass, the reason of a skip, or what failed. */
  detail?: string;
}

/** Shared by every package's run. */
export interface MatrixContext {
  registry: Registry;
  published: Published[];
  table: RuntimeTable;
  /** Parent directory of the consumer projects. */
  workDir: string;
  /** Called for each finished cell. */
  onCell?: (cell: Cell) => void;
  root?: string;
}

const NPM_FLAGS = ['--no-audit', '--no-fund', '--loglevel=error', '--no-update-notifier'];

/** Where a third-party package comes from: the version the workspace has installed (what our tests ran with). */
function pinned(name: string, ctx: MatrixContext, from: string): string {
  const org = ctx.published.find((p) => p.name === name);
  if (org) return `${name}@${org.version}`;
  const dir = installedPackageDir(name, from, ctx.root ?? ROOT);
  if (!dir) throw new Error(`consumer matrix: ${name} is needed but no workspace package has it installed`);
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  return `${name}@${version}`;
}

function dirSize(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, name.name);
    if (name.isDirectory()) total += dirSize(p);
    else if (name.isFile()) total += statSync(p).size;
  }
  return total;
}

/** Installed package names (`node_modules/<name>` and `node_modules/@scope/<name>`, nested ones included). */
function installedNames(nodeModules: string, out = new Set<string>()): Set<string> {
  if (!existsSync(nodeModules)) return out;
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    const names = entry.startsWith('@') ? readdirSync(join(nodeModules, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const n of names) {
      out.add(n);
      installedNames(join(nodeModules, n, 'node_modules'), out);
    }
  }
  return out;
}

/** npm's environment for a consumer: none of the `npm_*` settings a parent pnpm or npm exported, our registry. */
export function npmEnv(registry: Registry): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  env.npm_config_registry = registry.url;
  return env;
}

async function npmInstall(dir: string, specs: string[], dev: boolean, registry: Registry): Promise<void> {
  if (specs.length === 0) return;
  const args = ['install', ...NPM_FLAGS, ...(dev ? ['--save-dev'] : []), ...specs];
  const r = await runProc('npm', args, { cwd: dir, timeoutMs: 300_000, env: npmEnv(registry) });
  if (r.code !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${tail(r, 40)}`);
}

async function typecheckInChild(projectDir: string, files: CheckFile[]): Promise<CheckResult[]> {
  // The caller runs under tsx: its loader flags are in execArgv.
  const cli = new URL('./typecheck-cli.ts', import.meta.url).pathname;
  const r = await runProc(process.execPath, [...process.execArgv, cli], {
    cwd: projectDir,
    timeoutMs: 300_000,
    input: JSON.stringify({ projectDir, files }),
  });
  if (r.code !== 0) throw new Error(`type-check process failed:\n${tail(r, 40)}`);
  return JSON.parse(r.stdout) as CheckResult[];
}

const ORDER = ['install', 'types:', 'readme-install', 'readme:', 'example:', 'smoke:'];
/** Report order of a check: by kind, then profile or runtime order. */
function checkOrder(check: string): number {
  const kind = ORDER.findIndex((k) => check === k || (k.endsWith(':') && check.startsWith(k)));
  const sub = check.includes(':') ? check.slice(check.indexOf(':') + 1) : '';
  const within = Math.max(
    PROFILES.indexOf(sub as never),
    SMOKE_TARGETS.indexOf(sub as never),
    ['esm', 'cjs'].indexOf(sub),
  );
  return kind * 100 + within;
}

/** Runs every check of one package; never throws (a broken step fails its cells and skips the ones after it). */
export async function checkPackage(pub: Published, ctx: MatrixContext): Promise<Cell[]> {
  const cells: Cell[] = [];
  const add = (check: string, status: Cell['status'], ms: number, detail?: string) => {
    const cell: Cell = { pkg: pub.name, check, status, ms, ...(detail === undefined ? {} : { detail }) };
    cells.push(cell);
    ctx.onCell?.(cell);
  };
  const root = ctx.root ?? ROOT;
  const wsDir = join(root, pub.rel);
  const c = CASES[pub.name];
  const dir = join(ctx.workDir, pub.name.replace(/^@org\//, ''));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `consumer-${pub.name.slice(5)}`, private: true }, null, 2)}\n`,
  );
  writeFileSync(join(dir, '.npmrc'), `registry=${ctx.registry.url}\n`);
  if (!c) {
    add('case', 'fail', 0, `no case in tools/registry/src/cases.ts and no smoke in tools/registry/cases/`);
    return cells;
  }
  const readme = readFileSync(join(wsDir, 'README.md'), 'utf8');
  const documented = documentedInstall(readme);
  const optional = (m: Manifest) =>
    new Set(
      Object.entries(m.peerDependenciesMeta ?? {})
        .filter(([, v]) => v.optional)
        .map(([k]) => k),
    );
  const requiredPeers = Object.keys(pub.manifest.peerDependencies ?? {}).filter((p) => !optional(pub.manifest).has(p));
  const typesFor = (names: string[]) =>
    names
      .filter((n) => !n.startsWith('@org/') && !n.startsWith('@types/'))
      .map(typesPackageName)
      .filter((t) => documented.devDependencies.includes(t));

  // 1. The package alone (with its required peers, as npm would add them), plus @types/node for the type-check.
  let t0 = performance.now();
  try {
    await npmInstall(
      dir,
      [pinned(pub.name, ctx, wsDir), ...requiredPeers.map((p) => pinned(p, ctx, wsDir))],
      false,
      ctx.registry,
    );
    await npmInstall(
      dir,
      [pinned('@types/node', ctx, root), ...typesFor(requiredPeers).map((t) => pinned(t, ctx, wsDir))],
      true,
      ctx.registry,
    );
    const problems: string[] = [];
    const installed = join(dir, 'node_modules', pub.name);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Manifest;
    if (!readdirSync(installed).some((f) => /^licen[cs]e(\.|$)/i.test(f)))
      problems.push('no LICENSE file in the tarball');
    if (manifest.license !== 'MIT') problems.push(`license is ${manifest.license}`);
    const repo = manifest.repository as { url?: string; directory?: string } | undefined;
    if (!repo?.url || repo.directory !== pub.rel)
      problems.push(`repository field missing or without directory ${pub.rel}`);
    const names = installedNames(join(dir, 'node_modules'));
    const privateOrg = [...names].filter((n) => n.startsWith('@org/') && !ctx.published.some((p) => p.name === n));
    if (privateOrg.length) problems.push(`installs unpublished ${privateOrg.join(', ')}`);
    for (const n of c.notInstalled ?? []) if (names.has(n)) problems.push(`installs ${n}, which it must not`);
    const kb = Math.round(dirSize(join(dir, 'node_modules', pub.name)) / 1024);
    const others = [...names].filter((n) => n !== pub.name && !n.startsWith('@types/') && n !== 'undici-types');
    add(
      'install',
      problems.length ? 'fail' : 'pass',
      Math.round(performance.now() - t0),
      problems.length
        ? problems.join('; ')
        : `${kb} kB, ${others.length} other packages${others.length ? ` (${others.slice(0, 6).join(', ')}${others.length > 6 ? ', …' : ''})` : ''}`,
    );
  } catch (e) {
    add('install', 'fail', Math.round(performance.now() - t0), e instanceof Error ? e.message : String(e));
    return cells;
  }

  // 2. Alone, the published types are real: a wrong option type fails to compile under every profile.
  const wrong = wrongOptionFile(pub.name) as CheckFile;
  t0 = performance.now();
  try {
    const results = await typecheckInChild(dir, [wrong]);
    for (const r of results)
      add(
        `types:${r.profile}`,
        r.ok ? 'pass' : 'fail',
        Math.round(performance.now() - t0),
        r.ok
          ? `wrong option rejected (${c.wrongOption.errors.map((e) => `TS${e}`).join(', ')})`
          : r.messages.join('\n'),
      );
  } catch (e) {
    for (const p of PROFILES) add(`types:${p}`, 'fail', 0, e instanceof Error ? e.message : String(e));
  }

  // 3. What the README documents and its blocks import (pinned), then every block under every profile.
  const rf = readmeFiles(wsDir, root);
  t0 = performance.now();
  try {
    const have = new Set(Object.keys(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).dependencies ?? {}));
    const deps = [
      ...new Set([
        ...documented.dependencies,
        ...rf.imports,
        ...c.modules.map((s) =>
          s
            .split('/')
            .slice(0, s.startsWith('@') ? 2 : 1)
            .join('/'),
        ),
      ]),
    ].filter((n) => !have.has(n));
    await npmInstall(
      dir,
      deps.map((d) => pinned(d, ctx, wsDir)),
      false,
      ctx.registry,
    );
    // A block importing an untyped package (express) needs its @types package, as its reader would install it.
    const blockTypes = deps
      .filter((d) => !d.startsWith('@org/') && !d.startsWith('@types/'))
      .map(typesPackageName)
      .filter((t) => installedPackageDir(t, wsDir, root) !== undefined);
    await npmInstall(
      dir,
      [...new Set([...documented.devDependencies, ...blockTypes])]
        .filter((d) => !d.startsWith('@types/node'))
        .map((d) => pinned(d, ctx, wsDir)),
      true,
      ctx.registry,
    );
  } catch (e) {
    add('readme-install', 'fail', Math.round(performance.now() - t0), e instanceof Error ? e.message : String(e));
    return cells;
  }
  const readmeTypes = async (): Promise<void> => {
    const t1 = performance.now();
    const skipped = rf.skipped.map((s) => `block ${s.block.index} (line ${s.block.line}) skipped: ${s.reason}`);
    try {
      const results = await typecheckInChild(dir, rf.files);
      for (const p of PROFILES) {
        const mine = results.filter((r) => r.profile === p);
        const bad = mine.filter((r) => !r.ok);
        add(
          `readme:${p}`,
          bad.length ? 'fail' : 'pass',
          Math.round(performance.now() - t1),
          bad.length
            ? bad.flatMap((r) => [`${r.file}:`, ...r.messages]).join('\n')
            : [`${mine.length} blocks`, ...skipped].join('; '),
        );
      }
    } catch (e) {
      for (const p of PROFILES) add(`readme:${p}`, 'fail', 0, e instanceof Error ? e.message : String(e));
    }
  };

  const runs = async (): Promise<void> => {
    // 4. The first example runs, as ESM and as CommonJS.
    const first = rf.blocks[0];
    for (const format of ['esm', 'cjs'] as const) {
      if (!first) add(`example:${format}`, 'fail', 0, 'the README has no TypeScript block');
      else if (first.skip !== undefined) add(`example:${format}`, 'skip', 0, first.skip);
      else {
        const r = await runExample(dir, first, blockSource(rf.blocks, first), format);
        add(`example:${format}`, r.ok ? 'pass' : 'fail', r.ms, r.ok ? `${rf.readme}:${first.line}` : r.detail);
      }
    }

    // 5. The smoke script on every runtime; unsupported ones (root README table) are skipped with the reason.
    writeSmokeRunners(dir, pub.name, c);
    const row = ctx.table.get(pub.name);
    for (const target of SMOKE_TARGETS) {
      const col = columnOf(target);
      if (col) {
        const support = row?.get(col as never);
        if (!support) {
          add(`smoke:${target}`, 'fail', 0, `the root README's runtime table has no ${pub.name} / ${col} cell`);
          continue;
        }
        if (!support.supported) {
          const documentedThere = readme.includes(support.reason);
          add(
            `smoke:${target}`,
            documentedThere ? 'skip' : 'fail',
            0,
            documentedThere ? support.reason : `"${support.reason}" (root README) does not appear in ${rf.readme}`,
          );
          continue;
        }
      } else {
        const range = pub.manifest.engines?.node ?? '*';
        if (!semver.satisfies('22.11.0', range)) {
          add(`smoke:${target}`, 'skip', 0, `engines.node "${range}" excludes Node 22.11`);
          continue;
        }
      }
      const r = await runSmoke(dir, target);
      add(`smoke:${target}`, r.ok ? 'pass' : 'fail', r.ms, r.detail);
    }
  };

  // The type-check (its own process, CPU) and the runs (processes mostly waiting) go side by side; neither writes
  // where the other reads.
  await Promise.all([readmeTypes(), runs()]);
  cells.sort((x, y) => checkOrder(x.check) - checkOrder(y.check));
  return cells;
}
