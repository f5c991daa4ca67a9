// README → guide: example first, links to the site's pages, GitHub's anchors, code left alone.
import { describe, expect, it } from 'vitest';
import {
  codeBlocks,
  exampleFirst,
  githubSlug,
  guideFromReadme,
  repoFile,
  rewriteLinks,
  sections,
  sitePathOf,
  splitPitch,
} from '../scripts/lib/markdown.js';

const slugs = new Set(['breaker', 'retry']);
const README = repoFile('packages/retry/README.md');

describe('rewriteLinks', () => {
  it('turns links to package READMEs, BENCHMARKS.md and the root README into site links', () => {
    const md = [
      'See [breaker](../breaker/README.md#behaviour), [the bench](BENCHMARKS.md),',
      '[home](../../README.md) and [retry](../retry).',
    ].join('\n');
    expect(rewriteLinks(md, README, slugs)).toBe(
      [
        'See [breaker](/guide/breaker#behaviour), [the bench](/benchmarks/retry),',
        '[home](/) and [retry](/guide/retry).',
      ].join('\n'),
    );
  });

  it('names other repository files as text, keeps URLs and anchors, leaves code alone', () => {
    const md = [
      'Read [the kit](../../tools/adapter-kit/src/common.ts), [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) and [below](#options).',
      'In code: `[x](../breaker/README.md)`.',
      '```md',
      '[y](../breaker/README.md)',
      '```',
    ].join('\n');
    expect(rewriteLinks(md, README, slugs).split('\n')).toEqual([
      'Read the kit (`tools/adapter-kit/src/common.ts` in the repository), [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) and [below](#options).',
      'In code: `[x](../breaker/README.md)`.',
      '```md',
      '[y](../breaker/README.md)',
      '```',
    ]);
  });

  it('does not link packages that are not on the site', () => {
    expect(sitePathOf('packages/unknown/README.md', slugs)).toBeUndefined();
    expect(sitePathOf('packages/breaker', slugs)).toBe('/guide/breaker');
    expect(sitePathOf('README.md', slugs)).toBe('/');
  });
});

describe('exampleFirst', () => {
  const readme = [
    '# @org/x',
    '',
    'Pitch line one',
    'and two.',
    '',
    'Measured: a table.',
    '',
    '## Install',
    '',
    '```sh',
    'npm install @org/x',
    '```',
    '',
    '## Usage',
    '',
    '### Scenario: one',
    '',
    '```ts',
    "import { x } from '@org/x';",
    '```',
    '',
    'Explained.',
    '',
    '```ts',
    'second();',
    '```',
  ].join('\n');

  it('moves the first TypeScript block right after the pitch, and points to it from where it was', () => {
    const out = exampleFirst(readme).split('\n');
    expect(out.slice(0, 10)).toEqual([
      '# @org/x',
      '',
      'Pitch line one',
      'and two.',
      '',
      '## Example',
      '',
      '```ts',
      "import { x } from '@org/x';",
      '```',
    ]);
    const rest = out.slice(10).join('\n');
    expect(rest).toContain(
      '### Scenario: one\n\n_The code of this scenario is [the example at the top of the page](#example)._',
    );
    expect(rest).toContain('```sh\nnpm install @org/x\n```'); // not a TypeScript block: stays
    expect(rest).toContain('```ts\nsecond();\n```');
    expect(rest.match(/import \{ x \}/g)).toBeNull(); // moved, not copied
  });

  it('leaves a README without a TypeScript block as it is', () => {
    const md = '# t\n\npitch\n\n```sh\nls\n```\n';
    expect(exampleFirst(md)).toBe(md);
  });
});

describe('helpers', () => {
  it('computes anchors as GitHub does', () => {
    expect(githubSlug('Behaviour')).toBe('behaviour');
    expect(githubSlug('`circuitBreaker(options)`')).toBe('circuitbreakeroptions');
    expect(githubSlug('Scenario: guard an HTTP dependency')).toBe('scenario-guard-an-http-dependency');
    expect(githubSlug('Retry-After & budgets — why')).toBe('retry-after--budgets--why');
  });

  it('finds sections, pitches and code blocks outside code', () => {
    const md = '# T\n\nPitch.\n\n## A\n\ntext\n\n```sh\n# not a heading\n```\n\n### A.1\n\nmore\n\n## B\n\nend';
    expect(sections(md).map((s) => `${s.level}:${s.title}`)).toEqual(['1:T', '2:A', '3:A.1', '2:B']);
    expect(sections(md).find((s) => s.title === 'A')!.body).toContain('### A.1');
    expect(splitPitch(md)).toMatchObject({ title: 'T', pitch: 'Pitch.' });
    expect(codeBlocks(md)).toEqual([{ start: 8, end: 10, info: 'sh' }]);
  });

  it('keeps Vue away from README text, and the title outside so VitePress finds it', () => {
    const out = guideFromReadme('# @org/x\n\nUse {{ name }} here.\n', README, slugs);
    expect(out).toBe('# @org/x\n\n::: v-pre\nUse {{ name }} here.\n:::\n');
  });
});
