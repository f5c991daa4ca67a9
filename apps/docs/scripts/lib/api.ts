// The API reference: TypeDoc reads the TSDoc of every entry point of every package and typedoc-plugin-markdown
// writes one Markdown page per entry point (api/<slug>.md, api/<slug>/<subpath>.md). The same pass lists the exports
// that have no description, so the build can fail on them.
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  Application,
  Comment,
  type CommentTag,
  DeclarationReflection,
  OptionDefaults,
  type ProjectReflection,
  ReferenceReflection,
  type Reflection,
  ReflectionKind,
  type TypeDocOptions,
} from 'typedoc';
import type { PluginOptions } from 'typedoc-plugin-markdown';
import { type PackageInfo, REPO_ROOT } from './packages.js';

/** An export without a description: where it is declared and through which entry point it is exported. */
export interface Undocumented {
  /** Import specifier of the entry point, e.g. `@org/health/node`. */
  entry: string;
  /** Exported name. */
  name: string;
  /** TypeDoc kind, e.g. `Function`, `Interface`. */
  kind: string;
  /** `path:line` of the declaration, relative to the repository root. */
  where: string;
}

/** The kinds an entry point exports whose own comment is their description. */
const EXPORT_KINDS =
  ReflectionKind.Class |
  ReflectionKind.Interface |
  ReflectionKind.TypeAlias |
  ReflectionKind.Variable |
  ReflectionKind.Enum |
  ReflectionKind.Namespace |
  ReflectionKind.Function;

const hasText = (c: Comment | undefined): boolean =>
  c !== undefined && Comment.combineDisplayParts(c.summary).trim() !== '';

/** True when a top-level export carries a description (a function: on its declaration or any signature). */
export function isDocumented(r: DeclarationReflection): boolean {
  if (hasText(r.comment)) return true;
  return (r.signatures ?? []).some((s) => hasText(s.comment));
}

/**
 * `@org/...` written in a comment reads to TSDoc as a block tag named `@org` and swallows the sentence after it. The
 * tag is declared to TypeDoc (so it is not reported), and here every `@org` block is joined back to the text it
 * interrupted: the summary, or the block before it.
 */
export function rejoinOrgMentions(comment: Comment): void {
  const kept: CommentTag[] = [];
  for (const tag of comment.blockTags) {
    if (tag.tag !== '@org') {
      kept.push(tag);
      continue;
    }
    const into = kept.length > 0 ? kept[kept.length - 1]!.content : comment.summary;
    // TSDoc trimmed the spaces around the tag: put back the ones the sentence had
    const before = into.length > 0 ? into[into.length - 1]!.text : '';
    const after = tag.content[0]?.text ?? '';
    const lead = before === '' || /[\s([{"'`]$/.test(before) ? '' : ' ';
    const trail = after === '' || /^[\s/.,:;)\]'-]/.test(after) ? '' : ' ';
    into.push({ kind: 'text', text: `${lead}@org${trail}` }, ...tag.content);
  }
  comment.blockTags = kept;
}

function forEachComment(project: ProjectReflection, fn: (c: Comment) => void): void {
  for (const r of Object.values(project.reflections) as Reflection[]) {
    if (r.comment !== undefined) fn(r.comment);
  }
}

/** Finds the exports of every entry point that have no description. */
export function findUndocumented(project: ProjectReflection): Undocumented[] {
  const out: Undocumented[] = [];
  for (const mod of project.children ?? []) {
    for (const child of mod.children ?? []) {
      let target: Reflection = child;
      if (child instanceof ReferenceReflection) target = child.getTargetReflectionDeep();
      if (!(target instanceof DeclarationReflection) || !target.kindOf(EXPORT_KINDS)) continue;
      if (isDocumented(target)) continue;
      const src = target.sources?.[0];
      out.push({
        entry: mod.name,
        name: child.name,
        kind: ReflectionKind[target.kind] ?? String(target.kind),
        where: src ? `${relative(REPO_ROOT, src.fullFileName)}:${src.line}` : '(unknown)',
      });
    }
  }
  return out;
}

/** Converts every entry point of `packages`, writes the Markdown pages under `outDir`, returns undocumented exports. */
export async function generateApi(
  packages: PackageInfo[],
  outDir: string,
  tsconfig: string = join(REPO_ROOT, 'apps/docs/tsconfig.api.json'),
): Promise<Undocumented[]> {
  const entries = packages.flatMap((p) => p.entries);
  const specifierOf = new Map(entries.map((e) => [e.source, e.specifier]));
  const options: TypeDocOptions & PluginOptions = {
    entryPoints: entries.map((e) => e.source),
    tsconfig,
    plugin: ['typedoc-plugin-markdown'],
    router: 'module',
    entryFileName: 'index',
    readme: 'none',
    // a module per entry point even when there is only one, so every page is named by its import specifier
    alwaysCreateEntryPointModule: true,
    name: 'API reference',
    // the build type-checks every package already (pnpm typecheck); here it would only cost time
    skipErrorChecking: true,
    excludeScopesInPaths: true,
    excludePrivate: true,
    excludeInternal: true,
    hidePageHeader: true,
    hideBreadcrumbs: true,
    blockTags: [...OptionDefaults.blockTags, '@org'],
    parametersFormat: 'table',
    interfacePropertiesFormat: 'table',
    classPropertiesFormat: 'table',
    typeAliasPropertiesFormat: 'table',
    enumMembersFormat: 'table',
    typeDeclarationFormat: 'table',
    useCodeBlocks: true,
    // explicit {#id} anchors: the links the plugin writes then never depend on how VitePress numbers repeated headings
    useCustomAnchors: true,
    logLevel: 'Warn',
    out: outDir,
  };
  const app = await Application.bootstrapWithPlugins(options);
  const project = await app.convert();
  if (project === undefined) throw new Error('api: TypeDoc could not convert the packages (see the errors above)');
  forEachComment(project, rejoinOrgMentions);
  for (const mod of project.children ?? []) {
    const file = mod.sources?.[0]?.fullFileName;
    const spec = file === undefined ? undefined : specifierOf.get(file);
    if (spec === undefined) throw new Error(`api: no entry point matches the module ${mod.name} (${file})`);
    mod.name = spec;
  }
  rmSync(outDir, { recursive: true, force: true });
  await app.generateOutputs(project);
  return findUndocumented(project);
}
