import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const pkgDir = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Bundles TypeScript children (src included) into `<outDir>/<name>.bundle.mjs` with tsup/esbuild, so each crash-test
 * process starts in tens of milliseconds instead of paying the tsx loader on every spawn. Returns name -> path.
 * `format: 'cjs'` makes `<name>.bundle.cjs` instead (what `node --build-snapshot` runs).
 */
export async function bundleChildren(
  outDir: string,
  names: string[],
  format: 'esm' | 'cjs' = 'esm',
): Promise<Record<string, string>> {
  const ext = format === 'esm' ? '.bundle.mjs' : '.bundle.cjs';
  const { build } = await import('tsup');
  await build({
    entry: Object.fromEntries(names.map((n) => [n, fileURLToPath(new URL(`./${n}.ts`, import.meta.url))])),
    outDir,
    format: [format],
    platform: 'node',
    target: 'node20',
    noExternal: [/./],
    dts: false,
    silent: true,
    config: false,
    splitting: false,
    sourcemap: false,
    outExtension: () => ({ js: ext }),
    // node-postgres loads its optional native binding lazily; it is not installed.
    external: ['pg-native'],
  });
  return Object.fromEntries(names.map((n) => [n, `${outDir}/${n}${ext}`]));
}

/** A child process (a `.bundle.mjs`/`.bundle.cjs` run by plain node, or a TypeScript file run through tsx) with its stdout lines. */
export interface Child {
  proc: ChildProcess;
  lines: string[];
  /** Resolves when a line starting with `prefix` appears; rejects if the child exits first. */
  waitFor(prefix: string, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Calls `fn` with every stdout line from now on. */
  onLine(fn: (line: string) => void): void;
}

const live = new Set<ChildProcess>();

/** Kills every child still running (afterAll). */
export function killAll(): void {
  for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}

export function spawnChild(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  stdin: 'ignore' | 'pipe' = 'ignore',
): Child {
  const proc = spawn(
    process.execPath,
    script.endsWith('.bundle.mjs') || script.endsWith('.bundle.cjs')
      ? [...nodeArgs, script, ...args]
      : [...nodeArgs, '--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), ...args],
    {
      cwd: pkgDir,
      stdio: [stdin, 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
  live.add(proc);
  const lines: string[] = [];
  let buf = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  const lineListeners: Array<(line: string) => void> = [];
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
    for (const l of lineListeners) for (const p of parts) l(p);
    for (const w of waiters.splice(0)) w();
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      resolve({ code, signal, stderr });
      for (const w of waiters.splice(0)) w();
    }),
  );
  const waitFor = (prefix: string, timeoutMs = 20_000) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`child: no "${prefix}" within ${timeoutMs} ms; stderr: ${stderr}`)),
        timeoutMs,
      );
      const check = () => {
        const hit = lines.find((l) => l.startsWith(prefix));
        if (hit !== undefined) {
          clearTimeout(timer);
          resolve(hit);
        } else if (proc.exitCode !== null || proc.signalCode !== null) {
          clearTimeout(timer);
          reject(new Error(`child exited before "${prefix}": ${stderr}`));
        } else waiters.push(check);
      };
      check();
    });
  return { proc, lines, waitFor, exited, onLine: (fn) => lineListeners.push(fn) };
}
