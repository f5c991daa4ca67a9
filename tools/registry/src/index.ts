/**
 * @org/registry (private): the packages as users get them. The CLIs (`release-local.ts`, `consumer-matrix.ts`,
 * `check-readmes.ts`) are run by the root package.json scripts; these are their building blocks.
 */
export { CASES, type PackageCase, wrongOptionFile } from './cases.js';
export { compileExample, type ExampleRun, runExample } from './example.js';
export { type Cell, checkPackage, type MatrixContext, npmEnv } from './matrix.js';
export {
  blockSource,
  documentedInstall,
  importedPackages,
  type Mapped,
  parseReadme,
  type ReadmeBlock,
  ReadmeDirectiveError,
  readReadme,
} from './readme.js';
export { checkPackageReadme } from './readme-check.js';
export { type ReadmeFiles, readmeFiles } from './readme-files.js';
export { type Published, type ReleaseOptions, releaseLocal } from './release.js';
export {
  parseRuntimeTable,
  RUNTIME_COLUMNS,
  type RuntimeTable,
  readRuntimeTable,
  type Support,
} from './runtime-table.js';
export { columnOf, runSmoke, SMOKE_TARGETS, type SmokeRun, type SmokeTarget, writeSmokeRunners } from './smoke.js';
export {
  type CheckFile,
  type CheckResult,
  isOrgDeclaration,
  PROFILES,
  type Profile,
  toCommonJs,
  typecheck,
} from './typecheck.js';
export { freePort, type Registry, startVerdaccio, type VerdaccioOptions } from './verdaccio.js';
export { publishedPackages, ROOT, type WorkspacePackage, workspacePackages } from './workspace.js';
