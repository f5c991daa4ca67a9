// Extracts the TypeScript code blocks of a README, with the directives written as HTML comments right before a block.
// One extractor for the in-tree check (`pnpm check:readmes`) and the consumer matrix, so both check the same code.
//
// Directives (each an HTML comment directly above the fence; blank lines and other directives may sit between):
//   <!-- readme-check: skip <reason> -->     the block is not checked; the reason is required and reported
//   <!-- readme-check: continues -->         the block is checked after the previous TypeScript block (a scenario
//                                            that goes on with the names the previous one defined)
//   <!-- readme-check: context               hidden code placed before the block: the application names the
//   declare const db: Db;                    snippet assumes (its database, its request). For the first example it
//   -->                                      must be runnable code, since that example is run
//   <!-- readme-check: serves <path> -->     the first example is a server: it listens on $PORT, answers GET <path>
//                                            with a 2xx, and exits with code 0 on SIGTERM (`serves / exits SIGTERM`:
//                                            it installs no handler and SIGTERM's default action ends it)
import { readFileSync } from 'node:fs';

/** Info strings of the fences that are checked. */
const TS_FENCE = /^(?:ts|typescript|mts|cts)$/;
const DIRECTIVE = /^<!--\s*readme-check:\s*([a-z-]+)\b([\s\S]*?)-->$/;

/** A piece of generated source with the README line each of its lines came from. */
export interface Mapped {
  text: string;
  /** README line (1-based) of each line of `text`. */
  lines: number[];
}

/** One TypeScript block of a README. */
export interface ReadmeBlock {
  /** 1-based among the README's TypeScript blocks. */
  index: number;
  /** README line of the opening fence. */
  line: number;
  /** The block's own code. */
  code: Mapped;
  /** Hidden code from a `context` directive (empty when none). */
  context: Mapped;
  /** Checked after the previous TypeScript block. */
  continues: boolean;
  /** Reason from a `skip` directive. */
  skip?: string;
  /** From a `serves` directive: the path to GET, and how the process must end on SIGTERM (an exit code, or the
   * signal's name when the example installs no handler and is killed by it). */
  serves?: { path: string; exits: number | string };
}

/** Thrown for a malformed directive: names the README line. */
export class ReadmeDirectiveError extends Error {
  override name = 'ReadmeDirectiveError';
}

function mapped(lines: string[], firstLine: number): Mapped {
  return { text: lines.join('\n'), lines: lines.map((_, i) => firstLine + i) };
}

/** Joins mapped pieces with a newline between them. */
export function joinMapped(parts: readonly Mapped[]): Mapped {
  const nonEmpty = parts.filter((p) => p.lines.length > 0);
  return { text: nonEmpty.map((p) => p.text).join('\n'), lines: nonEmpty.flatMap((p) => p.lines) };
}

/** Parses the TypeScript blocks of a README's text. `file` is only used in error messages. */
export function parseReadme(markdown: string, file = 'README.md'): ReadmeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: ReadmeBlock[] = [];
  let pending: { kind: string; arg: string; body: Mapped; line: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const trimmed = raw.trim();
    const fence = /^(`{3,}|~{3,})\s*([^\s`]*)/.exec(trimmed);
    if (fence) {
      const marker = fence[1] as string;
      const info = fence[2] as string;
      const start = i;
      let end = i + 1;
      while (end < lines.length && !(lines[end] as string).trim().startsWith(marker)) end++;
      if (end >= lines.length) throw new ReadmeDirectiveError(`${file}:${start + 1}: code fence is never closed`);
      if (TS_FENCE.test(info)) {
        const block: ReadmeBlock = {
          index: blocks.length + 1,
          line: start + 1,
          code: mapped(lines.slice(start + 1, end), start + 2),
          context: { text: '', lines: [] },
          continues: false,
        };
        for (const d of pending) {
          if (d.kind === 'skip') {
            if (!d.arg) throw new ReadmeDirectiveError(`${file}:${d.line}: readme-check: skip needs a reason`);
            block.skip = d.arg;
          } else if (d.kind === 'continues') {
            if (blocks.length === 0)
              throw new ReadmeDirectiveError(`${file}:${d.line}: readme-check: continues on the first block`);
            block.continues = true;
          } else if (d.kind === 'context') {
            block.context = joinMapped([block.context, d.body]);
          } else if (d.kind === 'serves') {
            const m = /^(\/\S*)(?:\s+exits\s+(\d+|SIG[A-Z]+))?$/.exec(d.arg);
            if (!m)
              throw new ReadmeDirectiveError(
                `${file}:${d.line}: readme-check: serves needs a path and optionally how it exits: "serves /livez" or "serves / exits SIGTERM"`,
              );
            const exits = m[2] ?? '0';
            block.serves = { path: m[1] as string, exits: /^\d+$/.test(exits) ? Number(exits) : exits };
          }
        }
        blocks.push(block);
      } else if (pending.length > 0) {
        throw new ReadmeDirectiveError(
          `${file}:${pending[0]?.line}: readme-check directive above a \`${info || 'plain'}\` block (only TypeScript blocks are checked)`,
        );
      }
      pending = [];
      i = end;
      continue;
    }
    if (trimmed.startsWith('<!--') && /^<!--\s*readme-check\b/.test(trimmed)) {
      const start = i;
      let text = raw;
      while (!text.includes('-->') && i + 1 < lines.length) text += `\n${lines[++i]}`;
      const m = DIRECTIVE.exec(text.trim());
      if (!m) throw new ReadmeDirectiveError(`${file}:${start + 1}: malformed readme-check directive`);
      const kind = m[1] as string;
      if (!['skip', 'continues', 'context', 'serves'].includes(kind))
        throw new ReadmeDirectiveError(
          `${file}:${start + 1}: unknown readme-check directive "${kind}" (skip, continues, context, serves)`,
        );
      const rest = m[2] as string;
      const firstNl = rest.indexOf('\n');
      const arg = (firstNl === -1 ? rest : rest.slice(0, firstNl)).trim();
      // A context body is the comment's lines after the first, up to the closing `-->` line.
      const bodyLines = firstNl === -1 ? [] : lines.slice(start + 1, i);
      const lastLine = (lines[i] as string).replace(/-->\s*$/, '');
      if (firstNl !== -1 && lastLine.trim() !== '') bodyLines.push(lastLine);
      pending.push({ kind, arg, body: mapped(bodyLines, start + 2), line: start + 1 });
      continue;
    }
    if (trimmed !== '' && pending.length > 0) {
      throw new ReadmeDirectiveError(
        `${file}:${pending[0]?.line}: readme-check directive is not directly above a code block`,
      );
    }
  }
  if (pending.length > 0)
    throw new ReadmeDirectiveError(`${file}:${pending[0]?.line}: readme-check directive at the end of the file`);
  return blocks;
}

/** Reads and parses a README file. */
export function readReadme(file: string): ReadmeBlock[] {
  return parseReadme(readFileSync(file, 'utf8'), file);
}

/** The source a block is checked as: the chain of blocks it continues, each with its context, then its own code. */
export function blockSource(blocks: readonly ReadmeBlock[], block: ReadmeBlock): Mapped {
  const chain: ReadmeBlock[] = [block];
  for (let b = block; b.continues; ) {
    const prev = blocks[b.index - 2];
    if (!prev) break;
    chain.unshift(prev);
    b = prev;
  }
  return joinMapped(chain.flatMap((b) => [b.context, b.code]));
}

/** Every bare module specifier the code imports (static or dynamic), `node:` builtins excluded. */
export function importedPackages(code: string): string[] {
  const found = new Set<string>();
  // Comments may show an import (`// from 'cloudflare:workers'`); a `://` in a string is not a comment.
  const src = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const re = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"./][^'"]*)['"]/g;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    const spec = m[1] as string;
    // A scheme (`node:fs`, `cloudflare:workers`, `bun:sqlite`) names a module the runtime provides, not a package.
    if (/^[a-z]+:/.test(spec)) continue;
    const parts = spec.split('/');
    found.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string));
  }
  return [...found].sort();
}

/** The packages a README's `npm install` lines (in sh blocks) name, flags and `-D` included as a separate list. */
export function documentedInstall(markdown: string): { dependencies: string[]; devDependencies: string[] } {
  const dependencies: string[] = [];
  const devDependencies: string[] = [];
  for (const m of markdown.matchAll(/^\s*npm (?:install|i)\b([^\n]*)$/gm)) {
    const words = (m[1] as string)
      .replace(/\s#.*$/, '')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    const dev = words.some((w) => w === '-D' || w === '--save-dev');
    for (const w of words) if (!w.startsWith('-')) (dev ? devDependencies : dependencies).push(w);
  }
  return { dependencies, devDependencies };
}
