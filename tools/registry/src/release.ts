// The release path, run for real against a local registry: a throwaway copy of the workspace is versioned as a
// snapshot with `changeset version --snapshot` and published with `changeset publish` (pnpm publish underneath,
// which replaces `workspace:` ranges). The working tree is never touched.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Registry } from './verdaccio.js';
import { type Manifest, publishedPackages, ROOT, workspacePackages } from './workspace.js';

const run = promisify(execFile);

/** A package as published. */
export interface Published {
  name: string;
  version: string;
  /** Directory in the workspace, e.g. `packages/retry`. */
  rel: string;
  manifest: Manifest;
}

/** Options of {@link releaseLocal}. */
export interface ReleaseOptions {
  registry: Registry;
  /** Snapshot tag: versions become `<version>-<tag>-<datetime>` and the dist-tag is `<tag>`. Default `local`. */
  tag?: string;
  root?: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

const DEP_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

/** Copies what a release reads: root manifests, .changeset, and per package its manifest and published files. */
function copyWorkspace(root: string, to: string): void {
  for (const f of ['package.json', 'pnpm-workspace.yaml', 'pnpm-lock.yaml', 'LICENSE', 'README.md'])
    if (existsSync(join(root, f))) cpSync(join(root, f), join(to, f));
  cpSync(join(root, '.changeset'), join(to, '.changeset'), { recursive: true });
  for (const p of workspacePackages(root)) {
    const dest = join(to, p.rel);
    mkdirSync(dest, { recursive: true });
    cpSync(join(p.dir, 'package.json'), join(dest, 'package.json'));
    if (p.manifest.private) continue;
    const files = (p.manifest.files as string[] | undefined) ?? [];
    const always = readdirSync(p.dir).filter((n) => /^(readme|license|licence|changelog)(\.|$)/i.test(n));
    for (const f of [...files, ...always]) {
      if (!existsSync(join(p.dir, f)))
        throw new Error(`release: ${p.rel} lists "${f}" in files but it does not exist (build first)`);
      cpSync(join(p.dir, f), join(dest, f), { recursive: true });
    }
  }
}

/** pnpm publish reads a `workspace:` dependency's version from the package's node_modules: link the copies. */
function linkWorkspaceDeps(copy: string): void {
  const pkgs = workspacePackages(copy);
  const byName = new Map(pkgs.map((p) => [p.name, p.dir]));
  for (const p of pkgs) {
    for (const field of DEP_FIELDS) {
      for (const [dep, range] of Object.entries(p.manifest[field] ?? {})) {
        const target = byName.get(dep);
        if (!String(range).startsWith('workspace:') || !target) continue;
        const at = join(p.dir, 'node_modules', dep);
        if (existsSync(at)) continue;
        mkdirSync(dirname(at), { recursive: true });
        symlinkSync(target, at, 'dir');
      }
    }
  }
}

/** Runs a command; resolves with its stdout, rejects with its whole output. */
async function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const r = await run(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return r.stdout;
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${x.stdout ?? ''}${x.stderr ?? x.message}`);
  }
}

/**
 * Versions a copy of the workspace as a snapshot and publishes every public package to `registry` with changesets.
 * Resolves with what was published (checked with `npm view` on the registry).
 */
export async function releaseLocal(opts: ReleaseOptions): Promise<Published[]> {
  const root = opts.root ?? ROOT;
  const tag = opts.tag ?? 'local';
  const log = opts.log ?? (() => {});
  const pnpmVersion = await sh('pnpm', ['--version'], root, process.env).catch(() => '');
  if (!/^10\./.test(pnpmVersion.trim()))
    throw new Error(
      `release: changesets publishes with the pnpm on PATH, found "${pnpmVersion.trim() || 'none'}"; run through npx -y pnpm@10.34.8`,
    );
  const work = mkdtempSync(join(tmpdir(), 'release-local-'));
  try {
    const copy = join(work, 'repo');
    copyWorkspace(root, copy);
    linkWorkspaceDeps(copy);
    const pkgs = publishedPackages(copy);
    // Every public package gets a snapshot version, whether or not it has a pending changeset.
    writeFileSync(
      join(copy, '.changeset', 'release-local-snapshot.md'),
      `---\n${pkgs.map((p) => `'${p.name}': patch`).join('\n')}\n---\n\nLocal registry snapshot.\n`,
    );
    writeFileSync(
      join(copy, '.npmrc'),
      `registry=${opts.registry.url}\n${opts.registry.url.replace(/^http:/, '')}:_authToken=anonymous\n`,
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      npm_config_registry: opts.registry.url,
      npm_config_userconfig: opts.registry.npmrc,
      CI: 'true',
    };
    // The repository's changesets CLI, whatever workspace is released (tests release a fixture workspace).
    const changeset = join(ROOT, 'node_modules', '@changesets', 'cli', 'bin.js');
    log(`changeset version --snapshot ${tag}`);
    await sh(process.execPath, [changeset, 'version', '--snapshot', tag], copy, env);
    log(`changeset publish --tag ${tag} --no-git-tag → ${opts.registry.url}`);
    await sh(process.execPath, [changeset, 'publish', '--tag', tag, '--no-git-tag'], copy, env);
    const published: Published[] = [];
    for (const p of publishedPackages(copy)) {
      const version = p.manifest.version;
      if (!version.includes(`-${tag}-`))
        throw new Error(`release: ${p.name} was not versioned as a snapshot (version ${version})`);
      const view = await sh('npm', ['view', `${p.name}@${version}`, '--json'], copy, env);
      const manifest = JSON.parse(view) as Manifest;
      if (manifest.version !== version)
        throw new Error(`release: ${p.name}@${version} is not on ${opts.registry.url} after publish:\n${view}`);
      const leftover = DEP_FIELDS.flatMap((f) =>
        Object.entries(manifest[f] ?? {}).filter(([, r]) => String(r).startsWith('workspace:')),
      );
      if (leftover.length)
        throw new Error(
          `release: ${p.name}@${version} was published with workspace: ranges: ${JSON.stringify(leftover)}`,
        );
      published.push({ name: p.name, version, rel: p.rel, manifest });
    }
    return published;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
