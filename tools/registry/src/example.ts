// Runs a README's first example in a consumer project, as ESM and as CommonJS, the way a user would paste it.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { killGroup } from './proc.js';
import type { Mapped, ReadmeBlock } from './readme.js';
import { toCommonJs } from './typecheck.js';
import { freePort } from './verdaccio.js';

const HARNESS = fileURLToPath(new URL('../harness/example-network.mjs', import.meta.url));

/** How the example ran. */
export interface ExampleRun {
  ok: boolean;
  ms: number;
  /** What went wrong, with the example's output. */
  detail?: string;
}

/** The JavaScript a user's TypeScript compiles to, in either module format. */
export function compileExample(source: Mapped, format: 'esm' | 'cjs'): string {
  const code = format === 'cjs' ? toCommonJs(source).text : source.text;
  return ts.transpileModule(code, {
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: format === 'cjs' ? ts.ModuleKind.CommonJS : ts.ModuleKind.ESNext,
      esModuleInterop: true,
      verbatimModuleSyntax: false,
    },
  }).outputText;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Runs `source` (a block with its context) with the host Node from `<projectDir>/example-<format>/`, so the consumer
 * project's node_modules resolve its imports. A block with `serves` must answer GET <path> with a 2xx on $PORT and
 * end as the directive says on SIGTERM; any other block must exit 0 by itself. Bounded by `timeoutMs`.
 */
export async function runExample(
  projectDir: string,
  block: ReadmeBlock,
  source: Mapped,
  format: 'esm' | 'cjs',
  timeoutMs = 30_000,
): Promise<ExampleRun> {
  const t0 = performance.now();
  const dir = join(projectDir, `example-${format}`);
  mkdirSync(dir, { recursive: true });
  const file = join(projectDir, format === 'esm' ? 'readme-example.mjs' : 'readme-example.cjs');
  writeFileSync(file, compileExample(source, format));
  copyFileSync(HARNESS, join(projectDir, 'example-network.mjs'));
  const port = await freePort();
  // Its own working directory per format: files an example writes (a key file) are not shared between the runs.
  const child = spawn(process.execPath, ['--import', join(projectDir, 'example-network.mjs'), file], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const ms = () => Math.round(performance.now() - t0);
  const fail = (why: string): ExampleRun => ({
    ok: false,
    ms: ms(),
    detail: `${why}\n${out.trim().split('\n').slice(-30).join('\n')}`,
  });
  const deadline = Date.now() + timeoutMs;
  const bounded = <T>(p: Promise<T>, left: number) =>
    Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(0, left)).unref())]);
  try {
    if (!block.serves) {
      const end = await bounded(exited, deadline - Date.now());
      if (end === 'timeout') return fail(`did not exit within ${timeoutMs} ms`);
      return end.code === 0 ? { ok: true, ms: ms() } : fail(`exited with ${end.code ?? end.signal}`);
    }
    let status = 0;
    while (Date.now() < deadline && child.exitCode === null) {
      if (await portOpen(port)) {
        const res = await fetch(`http://127.0.0.1:${port}${block.serves.path}`, { signal: AbortSignal.timeout(5000) });
        status = res.status;
        await res.arrayBuffer();
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (child.exitCode !== null) return fail(`exited with ${child.exitCode} before serving on $PORT`);
    if (status === 0) return fail(`did not listen on $PORT within ${timeoutMs} ms`);
    if (status < 200 || status > 299) return fail(`GET ${block.serves.path} answered ${status}`);
    child.kill('SIGTERM');
    const end = await bounded(exited, Math.min(15_000, deadline - Date.now() + 15_000));
    if (end === 'timeout') return fail('still running 15 s after SIGTERM');
    const how = end.code ?? end.signal;
    if (how !== block.serves.exits) return fail(`ended with ${how} after SIGTERM, expected ${block.serves.exits}`);
    return { ok: true, ms: ms() };
  } finally {
    killGroup(child);
  }
}
