// Runs a package's smoke script (tools/registry/cases/<name>/) in its consumer project on one runtime.
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runtimeBin } from '@org/runtimes';
import { startWorkerd } from '@org/runtimes/workerd';
import type { PackageCase } from './cases.js';
import { runProc, tail } from './proc.js';

const CASES_DIR = fileURLToPath(new URL('../cases/', import.meta.url));

/** Where and how a smoke runs. */
export type SmokeTarget =
  | 'node20'
  | 'node20-cjs'
  | 'node22'
  | 'node22-cjs'
  | 'node22.11-cjs'
  | 'node24'
  | 'node24-cjs'
  | 'bun'
  | 'bun-cjs'
  | 'deno'
  | 'workerd';

/** Every smoke target, in report order. */
export const SMOKE_TARGETS: readonly SmokeTarget[] = [
  'node20',
  'node20-cjs',
  'node22',
  'node22-cjs',
  'node22.11-cjs',
  'node24',
  'node24-cjs',
  'bun',
  'bun-cjs',
  'deno',
  'workerd',
];

/** The README matrix column a target belongs to (Node 22.11 is checked against `engines`, not a column). */
export function columnOf(target: SmokeTarget): string | undefined {
  if (target === 'node22.11-cjs') return undefined;
  return { node20: 'Node 20', node22: 'Node 22', node24: 'Node 24', bun: 'Bun', deno: 'Deno', workerd: 'workerd' }[
    target.replace(/-cjs$/, '') as 'node20'
  ];
}

/** The short folder name of a package's case: `@org/retry` → `retry`. */
export const caseDir = (name: string): string => join(CASES_DIR, name.replace(/^@org\//, ''));

/** Writes the runners (ESM, CommonJS, worker) and copies the smoke scripts into the consumer project. */
export function writeSmokeRunners(projectDir: string, name: string, c: PackageCase): void {
  const src = caseDir(name);
  copyFileSync(join(src, 'smoke.mjs'), join(projectDir, 'smoke.mjs'));
  const hasNode = existsSync(join(src, 'smoke-node.mjs'));
  if (hasNode) copyFileSync(join(src, 'smoke-node.mjs'), join(projectDir, 'smoke-node.mjs'));
  const core = c.modules;
  const node = c.nodeModules ?? [];
  const all = [...core, ...node];
  const esmImports = all.map((s, i) => `import * as m${i} from ${JSON.stringify(s)};`).join('\n');
  const esmMap = `{ ${all.map((s, i) => `${JSON.stringify(s)}: m${i}`).join(', ')} }`;
  const finish = `console.log('SMOKE OK ' + out.join('; '));\nprocess.exit(0);`;
  const body = (map: string) =>
    `const m = ${map};
const runtime = process.argv[2] ?? 'node';
const { mkdtempSync, rmSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
const tmp = mkdtempSync(join(tmpdir(), 'smoke-'));
const out = [];
// Like a server's socket would: keeps the process alive while checks wait on timers they unref.
const alive = setInterval(() => {}, 1000);
try {
  out.push(await (await import('./smoke.mjs')).default(m, { runtime, tmp }));
  ${hasNode ? "out.push(await (await import('./smoke-node.mjs')).default(m, { runtime, tmp }));" : ''}
} finally {
  clearInterval(alive);
  rmSync(tmp, { recursive: true, force: true });
}
${finish}`;
  writeFileSync(join(projectDir, 'smoke-run.mjs'), `${esmImports}\n${body(esmMap)}\n`);
  const cjsMap = `{ ${all.map((s) => `${JSON.stringify(s)}: require(${JSON.stringify(s)})`).join(', ')} }`;
  writeFileSync(
    join(projectDir, 'smoke-run.cjs'),
    `(async () => {\n${body(cjsMap)}\n})().catch((e) => { console.error(e); process.exit(1); });\n`,
  );
  const workerImports = core.map((s, i) => `import * as m${i} from ${JSON.stringify(s)};`).join('\n');
  const workerMap = `{ ${core.map((s, i) => `${JSON.stringify(s)}: m${i}`).join(', ')} }`;
  writeFileSync(
    join(projectDir, 'smoke-worker.mjs'),
    `${workerImports}
import smoke from './smoke.mjs';
export default {
  async fetch() {
    try {
      return new Response('SMOKE OK ' + (await smoke(${workerMap}, { runtime: 'workerd' })));
    } catch (e) {
      return new Response(String(e && e.stack ? e.stack : e), { status: 500 });
    }
  },
};
`,
  );
}

/** How a smoke ran. */
export interface SmokeRun {
  ok: boolean;
  ms: number;
  /** The smoke's summary line, or what went wrong. */
  detail: string;
}

/** Runs the smoke on one target; bounded by `timeoutMs`. */
export async function runSmoke(projectDir: string, target: SmokeTarget, timeoutMs = 60_000): Promise<SmokeRun> {
  const t0 = performance.now();
  if (target === 'workerd') {
    let w: Awaited<ReturnType<typeof startWorkerd>> | undefined;
    try {
      w = await startWorkerd({ entry: join(projectDir, 'smoke-worker.mjs'), startTimeoutMs: timeoutMs });
      // Twice: module state our packages keep across requests must survive a Workers request boundary.
      let last = '';
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${w.url}/`, { signal: AbortSignal.timeout(timeoutMs) });
        last = await res.text();
        if (res.status !== 200 || !last.startsWith('SMOKE OK'))
          return {
            ok: false,
            ms: Math.round(performance.now() - t0),
            detail: `request ${i + 1}: ${res.status} ${last}\n${w.output()}`,
          };
      }
      return { ok: true, ms: Math.round(performance.now() - t0), detail: last.replace(/^SMOKE OK /, '') };
    } catch (e) {
      return { ok: false, ms: Math.round(performance.now() - t0), detail: e instanceof Error ? e.message : String(e) };
    } finally {
      await w?.stop();
    }
  }
  const cjs = target.endsWith('-cjs');
  const file = cjs ? 'smoke-run.cjs' : 'smoke-run.mjs';
  const runtime = target.replace(/-cjs$/, '');
  let cmd: string;
  let args: string[];
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' };
  switch (runtime) {
    case 'node20':
      [cmd, args] = [runtimeBin('node20'), [file, runtime]];
      break;
    case 'node22':
    case 'node24':
      [cmd, args] = [runtimeBin(runtime), [file, runtime]];
      break;
    case 'node22.11':
      [cmd, args] = [runtimeBin('node22-11'), [file, runtime]];
      break;
    case 'bun':
      [cmd, args] = [runtimeBin('bun'), ['--no-install', file, runtime]];
      break;
    case 'deno':
      // node_modules of the project (package.json present: Deno resolves bare specifiers from it), all permissions.
      [cmd, args] = [runtimeBin('deno'), ['run', '-A', '--no-lock', '--node-modules-dir=manual', file, runtime]];
      break;
    default:
      throw new Error(`runSmoke: unknown target ${target}`);
  }
  const r = await runProc(cmd, args, { cwd: projectDir, env, timeoutMs });
  const line = r.stdout.split('\n').find((l) => l.startsWith('SMOKE OK'));
  if (r.code === 0 && line) return { ok: true, ms: r.ms, detail: line.replace(/^SMOKE OK /, '') };
  const why = r.timedOut ? `timed out after ${timeoutMs} ms` : `exit ${r.code ?? r.signal}`;
  return { ok: false, ms: r.ms, detail: `${why}\n${tail(r)}` };
}
