// VitePress configuration. The sidebar is built from the packages found under packages/*, like the generated pages.
import { defineConfig } from 'vitepress';
import { githubSlug } from '../../scripts/lib/markdown.js';
import { discoverPackages } from '../../scripts/lib/packages.js';
import { PICTURES } from '../../scripts/pictures/index.js';

const packages = discoverPackages();
const apiLink = (spec: string, name: string, slug: string): string =>
  `/api/${slug}${spec === name ? '' : spec.slice(name.length)}`;

export default defineConfig({
  title: '@org hardening',
  description: 'Small, framework-agnostic packages that make a Node service production-ready.',
  lang: 'en',
  outDir: '../dist',
  cacheDir: '../.cache',
  // generated parts included by the landing page are not pages of their own
  srcExclude: ['parts/**'],
  // a page with no commit history would make VitePress call git for every page: not needed here
  lastUpdated: false,
  markdown: {
    // GitHub's anchors, so a README's own `#section` links work on the site too
    anchor: { slugify: githubSlug },
  },
  themeConfig: {
    nav: [
      { text: 'Guides', link: `/guide/${packages[0]?.slug ?? ''}` },
      { text: 'API', link: '/api/' },
      { text: 'Pictures', link: `/pictures/${PICTURES[0]!.page}` },
      { text: 'Benchmarks', link: '/benchmarks/' },
    ],
    sidebar: [
      {
        text: 'Introduction',
        items: [
          { text: 'Overview', link: '/' },
          { text: 'Benchmarks', link: '/benchmarks/' },
        ],
      },
      {
        text: 'Pictures',
        items: PICTURES.map((p) => ({
          text: p.title[0]!.toUpperCase() + p.title.slice(1),
          link: `/pictures/${p.page}`,
        })),
      },
      { text: 'Guides', items: packages.map((p) => ({ text: p.name, link: `/guide/${p.slug}` })) },
      {
        text: 'API reference',
        collapsed: true,
        items: packages.flatMap((p) =>
          p.entries.map((e) => ({ text: e.specifier, link: apiLink(e.specifier, p.name, p.slug) })),
        ),
      },
      {
        text: 'Benchmark charts',
        collapsed: true,
        items: packages.map((p) => ({ text: p.name, link: `/benchmarks/${p.slug}` })),
      },
    ],
    search: {
      provider: 'local',
      options: {
        // an API page is indexed by its headings (the name of every export): its tables of signatures would triple the
        // index every page downloads when the search opens
        _render(src, env, md) {
          const html = md.render(src, env);
          if (!env.relativePath.startsWith('api/')) return html;
          return (html.match(/<h[1-3][^>]*>[\s\S]*?<\/h[1-3]>/g) ?? []).join('\n');
        },
      },
    },
    outline: [2, 3],
  },
});
