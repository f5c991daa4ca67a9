/** Health status of the draft (draft-inadarei-api-health-check-06): `pass` healthy, `warn` healthy with concerns, `fail` unhealthy. */
export type HealthStatus = 'pass' | 'warn' | 'fail';

/** The three Kubernetes probes. */
export type ProbeName = 'liveness' | 'readiness' | 'startup';

/** A probe, or `health`: every registered check (the service's overall health, for humans and monitoring). */
export type ProbeTarget = ProbeName | 'health';

/** What a check's `run` may resolve to when it wants to say more than pass/fail. Every field is optional. */
export interface CheckOutcome {
  /** Default `pass`. A `fail` of a non-critical check is reported as `warn`. */
  status?: HealthStatus;
  /** The measured value (e.g. response time, bytes used). */
  observedValue?: unknown;
  /** Unit of `observedValue` (e.g. `ms`, `bytes`, `percent`). Overrides the check's `observedUnit`. */
  observedUnit?: string;
  /** Human-readable detail; shown in verbose output only. */
  output?: string;
  /** Identifier of the component instance. Overrides the check's `componentId`. */
  componentId?: string;
  /** `component`, `datastore`, `system` or any other type. Overrides the check's `componentType`. */
  componentType?: string;
  /** URIs of endpoints affected by this component's failure. */
  affectedEndpoints?: string[];
  /** Related links, by relation name. */
  links?: Record<string, string>;
}

/**
 * What a check's `run` may return (or resolve to): nothing or `true` = pass, `false` = fail, a number = pass with that
 * `observedValue`, or a {@link CheckOutcome}. Throwing or rejecting = fail, with the error message as `output`.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: lets a check be written as `run: () => { ... }` (no return)
export type CheckReturn = void | undefined | boolean | number | CheckOutcome;

/** A check registered with {@link Health.check}. */
export interface CheckDefinition {
  /** `component:measurement` (e.g. `pg:responseTime`), or a single word such as `uptime`. No whitespace. */
  name: string;
  /** Probes this check belongs to. Default `['readiness']`. Liveness checks must only look at the process itself. */
  probes?: readonly ProbeName[];
  /** A failing critical check fails the probe (503); a failing non-critical one only warns (200). Default `true`. */
  critical?: boolean;
  /** Per-run timeout; the run's `signal` aborts and the check fails with "timed out". Default: the health's `timeoutMs`. */
  timeoutMs?: number;
  /**
   * Run in the background every `intervalMs` (timer unref'd) and answer probes from the latest result. Default `0`:
   * run on demand, single-flight, reusing a result younger than the health's `cacheMs`. With `requestScoped` (Workers)
   * there is no background timer: a result younger than `intervalMs` is reused, an older one is refreshed on demand.
   */
  intervalMs?: number;
  /** Default `componentId` of the results. */
  componentId?: string;
  /** Default `componentType` of the results. */
  componentType?: string;
  /** Default `observedUnit` of the results. */
  observedUnit?: string;
  /** Performs the check. Must honour `signal` to free resources on timeout; a run that ignores it still cannot hang a probe. */
  run(signal: AbortSignal): CheckReturn | Promise<CheckReturn>;
  /** Called once by `unregister()` or `health.close()` to release resources the check holds. */
  close?(): void;
}

/** One check's entry in the `checks` map of the health document (draft section 4). */
export interface CheckResult {
  /** Status of this measurement. */
  status: HealthStatus;
  componentId?: string;
  componentType?: string;
  observedValue?: unknown;
  observedUnit?: string;
  affectedEndpoints?: string[];
  /** ISO 8601 time at which the measurement was taken. */
  time: string;
  output?: string;
  links?: Record<string, string>;
}

/** The application/health+json document (draft-inadarei-api-health-check-06). */
export interface HealthDocument {
  status: HealthStatus;
  version?: string;
  releaseId?: string;
  notes?: string[];
  output?: string;
  serviceId?: string;
  description?: string;
  checks?: Record<string, CheckResult[]>;
  links?: Record<string, string>;
}

/** A probe's answer, framework-free: send `httpStatus`, `headers` and `body` as they are. */
export interface ProbeResponse {
  /** Overall status. */
  status: HealthStatus;
  /** 200 for pass and warn, 503 for fail. */
  httpStatus: number;
  /** `content-type: application/health+json` and `cache-control: no-store`. Do not mutate: it may be shared. */
  headers: Readonly<Record<string, string>>;
  /** The serialized health document (for a HEAD request, send the headers only). */
  body: string;
  /** The health document as an object. Do not mutate: it may be shared. */
  json: HealthDocument;
}

/** Options of a single probe call. */
export interface ProbeOptions {
  /** Include checks, version, output and notes. Default `false` (body is `{"status":"..."}` only). */
  verbose?: boolean;
}

/** What a `verbose` predicate sees of the request. */
export interface ProbeRequest {
  method: string;
  /** The request target (path and query), e.g. `/readyz?verbose`. */
  url: string;
  /** Reads a request header (lower-case name); `undefined` when absent. */
  header(name: string): string | undefined;
}

/** Who gets verbose output from {@link Health.route} and {@link Health.fetchHandler}. */
export type VerbosePolicy = 'query' | 'always' | 'never' | ((request: ProbeRequest) => boolean);

/** Describes the service in verbose output. Fields set to `undefined` (e.g. an unset environment variable) are left out. */
export interface ServiceInfo {
  /** `serviceId` of the document. */
  id?: string | undefined;
  /** `version` of the document (public version of the service). */
  version?: string | undefined;
  /** `releaseId` of the document (e.g. git SHA or build number). */
  releaseId?: string | undefined;
  /** `description` of the document. */
  description?: string | undefined;
  /** `notes` of the document. */
  notes?: string[] | undefined;
  /** `links` of the document. */
  links?: Record<string, string> | undefined;
}

/** URL paths of the probes. */
export interface ProbePaths {
  liveness: string;
  readiness: string;
  startup: string;
  health: string;
}

/** Events of a health instance. */
export interface HealthEvents {
  /** A check's status changed (`from` is undefined on its first result). */
  change: { name: string; from: HealthStatus | undefined; to: HealthStatus; output: string | undefined };
  /** `drain()` was called: readiness now fails. */
  drain: { reason: string };
}

/** Options for {@link createHealth}. */
export interface HealthOptions {
  /** Service identity shown in verbose output. */
  service?: ServiceInfo;
  /** Default per-check timeout in ms. Default 1000. Keep it below the probe's `timeoutSeconds`. */
  timeoutMs?: number;
  /** On-demand checks reuse a result younger than this (ms); 0 disables. Default 1000. */
  cacheMs?: number;
  /** Who gets verbose output over HTTP. Default `'query'`: only requests with `?verbose` (or `?verbose=1|true`). */
  verbose?: VerbosePolicy;
  /** Probe paths for `route()` and `fetchHandler()`. Default `/livez`, `/readyz`, `/startupz`, `/health`. */
  paths?: Partial<ProbePaths>;
  /** Wall clock in epoch ms, for `time` fields and cache ages. Default `Date.now`. */
  clock?: () => number;
  /**
   * Keep every run of a check inside the probe (request) that started it, as Cloudflare Workers require: a promise or
   * timer must not outlive its request there. Concurrent probes then do not share an in-flight run (finished results
   * are still cached and shared), and no background timer runs (`intervalMs` becomes the age under which a check's
   * last result is reused). Default: `true` on Cloudflare Workers (`navigator.userAgent`), `false` elsewhere.
   */
  requestScoped?: boolean;
}
