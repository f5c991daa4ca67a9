// Markdown taken from the READMEs, reshaped for the site: sections found by heading, links rewritten to the site's
// pages, anchors computed the way GitHub computes them (so a README's `#section` links work on both).
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from './packages.js';

const FENCE = /^\s{0,3}(`{3,}|~{3,})(.*)$/;

/** One line of a document and whether it is inside a fenced code block (fence lines count as inside). */
interface Line {
  text: string;
  code: boolean;
}

function classify(md: string): Line[] {
  const lines = md.split('\n').map((text) => ({ text, code: false }));
  for (const b of codeBlocks(md)) for (let i = b.start; i <= b.end; i++) lines[i]!.code = true;
  return lines;
}

/** A fenced code block: first and last line (the fences) and the info string (`ts`, `sh title="x"`). */
export interface CodeBlock {
  start: number;
  end: number;
  info: string;
}

/** The fenced code blocks of a document; an unclosed fence runs to the end, as in CommonMark. */
export function codeBlocks(md: string): CodeBlock[] {
  const lines = md.split('\n');
  const out: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = FENCE.exec(lines[i]!);
    if (m === null) continue;
    const fence = m[1]!;
    let end = i + 1;
    for (; end < lines.length; end++) {
      const c = FENCE.exec(lines[end]!);
      if (c !== null && c[1]![0] === fence[0] && c[1]!.length >= fence.length && c[2]!.trim() === '') break;
    }
    end = Math.min(end, lines.length - 1);
    out.push({ start: i, end, info: m[2]!.trim() });
    i = end;
  }
  return out;
}

/** A heading and the lines under it, up to the next heading of the same or a higher level. */
export interface Section {
  level: number;
  title: string;
  /** The section's lines without its heading line. */
  body: string;
}

/** Every heading of the document (outside code blocks) with its section. */
export function sections(md: string): Section[] {
  const lines = classify(md);
  const heads: Array<{ i: number; level: number; title: string }> = [];
  lines.forEach((l, i) => {
    const m = l.code ? null : /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(l.text);
    if (m !== null) heads.push({ i, level: m[1]!.length, title: m[2]! });
  });
  return heads.map((h, k) => {
    let end = lines.length;
    for (const n of heads.slice(k + 1))
      if (n.level <= h.level) {
        end = n.i;
        break;
      }
    const body = lines
      .slice(h.i + 1, end)
      .map((l) => l.text)
      .join('\n')
      .trim();
    return { level: h.level, title: h.title, body };
  });
}

/** The first block (paragraph, quote or list) after the H1, and everything after it. */
export function splitPitch(md: string): { title: string; pitch: string; rest: string } {
  const lines = md.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  const h1 = /^#\s+(.*)$/.exec(lines[i] ?? '');
  const title = h1 ? h1[1]!.trim() : '';
  if (h1) i++;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  const start = i;
  while (i < lines.length && lines[i]!.trim() !== '' && !/^#{1,6}\s/.test(lines[i]!)) i++;
  return { title, pitch: lines.slice(start, i).join('\n'), rest: lines.slice(i).join('\n').trim() };
}

/**
 * Moves the first TypeScript/JavaScript code block up, right after the pitch, under an `Example` heading; where it
 * was, a line points to it. Returns the document unchanged when it has no such block.
 */
export function exampleFirst(md: string): string {
  const { title, pitch, rest } = splitPitch(md);
  const block = codeBlocks(rest).find((b) => /^(ts|typescript|js|javascript|tsx|mjs)\b/.test(b.info));
  if (block === undefined) return md;
  const lines = rest.split('\n');
  const moved = [
    ...lines.slice(0, block.start),
    '_The code of this scenario is [the example at the top of the page](#example)._',
    ...lines.slice(block.end + 1),
  ];
  return [`# ${title}`, '', pitch, '', '## Example', '', ...lines.slice(block.start, block.end + 1), '', ...moved].join(
    '\n',
  );
}

/**
 * GitHub's heading anchor: lower case, punctuation dropped (letters, digits, `-` and `_` kept), each space a hyphen.
 * Used as the site's slugify too, so README links such as `(#behaviour)` land on the same heading.
 */
export function githubSlug(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Where a repository path is shown on the site, if it is: a package's README or BENCHMARKS.md, or the root README. */
export function sitePathOf(repoPath: string, slugs: ReadonlySet<string>): string | undefined {
  const p = repoPath.replace(/\/+$/, '');
  if (p === 'README.md' || p === '') return '/';
  const m = /^packages\/([^/]+)(?:\/(README\.md|BENCHMARKS\.md))?$/.exec(p);
  if (m === null || !slugs.has(m[1]!)) return undefined;
  return m[2] === 'BENCHMARKS.md' ? `/benchmarks/${m[1]}` : `/guide/${m[1]}`;
}

const LINK = /(!?)\[([^\]]*)\]\(([^)\s]+)(\s+"[^"]*")?\)/g;

/**
 * Rewrites the relative links of a document found at `file` (absolute path): links to a package's README or
 * BENCHMARKS.md, or to the root README, become site links; links to any other file of the repository become plain
 * text naming the file (the site does not publish the sources). Code blocks and code spans are left alone.
 */
export function rewriteLinks(md: string, file: string, slugs: ReadonlySet<string>): string {
  const fromDir = dirname(file);
  const fix = (all: string, bang: string, text: string, target: string): string => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#') || target.startsWith('/')) return all;
    const [path = '', hash] = target.split('#', 2);
    const repoPath = relative(REPO_ROOT, resolve(fromDir, path));
    const site = sitePathOf(repoPath, slugs);
    if (site !== undefined && bang === '') return `[${text}](${site}${hash ? `#${hash}` : ''})`;
    return `${text} (\`${repoPath}\` in the repository)`;
  };
  return classify(md)
    .map((l) => {
      if (l.code) return l.text;
      // leave code spans alone: split on backtick runs, rewrite only the text between them
      return l.text
        .split(/(`+[^`]*`+)/)
        .map((part, i) => (i % 2 === 1 ? part : part.replace(LINK, fix)))
        .join('');
    })
    .join('\n');
}

/** The guide page of one package, generated from its README. */
export function guideFromReadme(readme: string, file: string, slugs: ReadonlySet<string>): string {
  return wrapVPre(exampleFirst(rewriteLinks(readme, file, slugs)));
}

/**
 * Text from a README is shown as written: `{{ }}` is not a Vue interpolation there. The VitePress `v-pre`
 * container keeps Vue away from it; the H1 stays outside, so VitePress takes the page title from it.
 */
export function wrapVPre(md: string): string {
  const m = /^(#\s+.*)\n/.exec(md);
  const head = m ? `${m[1]}\n\n` : '';
  const body = m ? md.slice(m[0].length) : md;
  return `${head}::: v-pre\n${body.trim()}\n:::\n`;
}

/** Joins a path under the repository root (for tests and scripts). */
export const repoFile = (...parts: string[]): string => join(REPO_ROOT, ...parts);
