// A throwaway Verdaccio on loopback: config and storage in a temp dir, anonymous publish for @org/* (never proxied,
// so a public package of the same name can never stand in for ours), everything else from the public registry.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verdaccioBin } from '@org/runtimes';

/** A running registry. */
export interface Registry {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** A userconfig for npm/pnpm pointing at the registry, with the token anonymous publish needs. */
  npmrc: string;
  /** Everything Verdaccio printed, for failure messages. */
  output(): string;
  /** Stops Verdaccio (SIGTERM, SIGKILL after 5 s) and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startVerdaccio}. */
export interface VerdaccioOptions {
  /** Registry everything but @org/* is fetched from. Default: npm's configured registry or registry.npmjs.org. */
  uplink?: string;
  /** How long to wait for the registry to answer; default 30 s. */
  startTimeoutMs?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
  });
}

/** Starts Verdaccio 6.8.0 with the host Node on a free loopback port; resolves once `/-/ping` answers. */
export async function startVerdaccio(opts: VerdaccioOptions = {}): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'verdaccio-'));
  const uplink = opts.uplink ?? process.env.npm_config_registry ?? 'https://registry.npmjs.org/';
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `storage: ${JSON.stringify(join(dir, 'storage'))}
auth:
  htpasswd:
    file: ${JSON.stringify(join(dir, 'htpasswd'))}
    max_users: -1
uplinks:
  npmjs:
    url: ${JSON.stringify(uplink)}
    timeout: 60s
    max_fails: 5
packages:
  '@org/*':
    access: $all
    publish: $anonymous
    unpublish: $anonymous
  '**':
    access: $all
    publish: $authenticated
    proxy: npmjs
server:
  keepAliveTimeout: 60
max_body_size: 100mb
log: { type: stdout, format: pretty, level: warn }
`,
  );
  let child: ChildProcess | undefined;
  let out = '';
  let url = '';
  const stop = async (): Promise<void> => {
    if (child) await stopChild(child, 5000);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  // A port found free can be taken before Verdaccio binds it: try again on another one.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    url = `http://127.0.0.1:${port}/`;
    out = '';
    const c = spawn(process.execPath, [verdaccioBin(), '--config', config, '--listen', `127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    child = c;
    c.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    c.stderr?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    let up = false;
    while (!up && c.exitCode === null && Date.now() < deadline) {
      try {
        const res = await fetch(`${url}-/ping`, { signal: AbortSignal.timeout(1000) });
        up = res.ok;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (up) break;
    await stopChild(c, 2000);
    if (attempt >= 3 || Date.now() >= deadline) {
      await stop();
      throw new Error(`verdaccio did not answer on ${url} (attempt ${attempt}):\n${out}`);
    }
  }
  const npmrc = join(dir, 'npmrc');
  const hostPath = url.replace(/^http:/, '');
  // Anonymous publish still needs npm to send some token; Verdaccio treats this one as anonymous.
  writeFileSync(npmrc, `registry=${url}\n${hostPath}:_authToken=anonymous\n`);
  return { url, npmrc, output: () => out, stop };
}
