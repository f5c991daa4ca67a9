import { invalidOption } from '../errors.js';
import { isRecord, show } from './util.js';

/** Request destinations an Integrity-Policy can require integrity metadata for. */
export type IntegrityPolicyDestination = 'script' | 'style';

/** Integrity-Policy (and -Report-Only) options: a structured-field dictionary (Subresource Integrity, §integrity-policy). */
export interface IntegrityPolicyOptions {
  /** Destinations whose requests must carry integrity metadata (and may not be `no-cors`). Default `['script']`. */
  blockedDestinations?: readonly IntegrityPolicyDestination[];
  /** Where integrity metadata comes from. `inline` (the `integrity` attribute) is the only source and the default. */
  sources?: readonly 'inline'[];
  /** Reporting endpoint names (declared in `reportingEndpoints`) that receive violation reports. */
  endpoints?: readonly string[];
}

/** Document-Isolation-Policy values (WICG Document-Isolation-Policy). */
export type DocumentIsolationPolicyValue = 'isolate-and-require-corp' | 'isolate-and-credentialless' | 'none';

/** Document-Isolation-Policy (and -Report-Only) options: a structured-field token with an optional `report-to`. */
export interface DocumentIsolationPolicyOptions {
  /** The policy. Default `isolate-and-require-corp`. */
  value?: DocumentIsolationPolicyValue;
  /** A reporting endpoint name (declared in `reportingEndpoints`) that receives violation reports. */
  reportTo?: string;
}

const DESTINATIONS = new Set<string>(['script', 'style']);
const DIP_VALUES = new Set<string>(['isolate-and-require-corp', 'isolate-and-credentialless', 'none']);
// A Reporting-Endpoints member name (an sf-key): what the structured fields below refer to.
const ENDPOINT = /^[a-z*][a-z0-9_\-.*]*$/;

function endpointName(where: string, v: unknown, declared: ReadonlySet<string> | null): string {
  if (typeof v !== 'string' || !ENDPOINT.test(v))
    throw invalidOption(
      TypeError,
      `${where} must be a reporting endpoint name (lowercase letters, digits, "_", "-", "."), got ${show(v)}`,
    );
  if (declared !== null && !declared.has(v))
    throw invalidOption(TypeError, `${where} names endpoint ${show(v)}, which reportingEndpoints does not declare`);
  return v;
}

function tokenList(where: string, v: unknown, allowed: ReadonlySet<string>): string[] {
  if (!Array.isArray(v) || v.length === 0)
    throw invalidOption(TypeError, `${where} must be a non-empty array of ${[...allowed].join(', ')}, got ${show(v)}`);
  for (const t of v) {
    if (typeof t !== 'string' || !allowed.has(t))
      throw invalidOption(TypeError, `${where} has an unknown value ${show(t)} (use ${[...allowed].join(', ')})`);
  }
  if (new Set(v).size !== v.length) throw invalidOption(TypeError, `${where} repeats a value: ${show(v)}`);
  return v as string[];
}

/**
 * Compiles Integrity-Policy options: `true` → `blocked-destinations=(script)`;
 * `{ blockedDestinations: ['script', 'style'], endpoints: ['sri'] }` → `blocked-destinations=(script style), endpoints=(sri)`.
 */
export function compileIntegrityPolicy(where: string, v: unknown, declared: ReadonlySet<string> | null): string {
  if (v === true) v = {};
  if (!isRecord(v)) throw invalidOption(TypeError, `${where}: must be an object or a boolean, got ${show(v)}`);
  for (const k of Object.keys(v)) {
    if (k !== 'blockedDestinations' && k !== 'sources' && k !== 'endpoints')
      throw invalidOption(TypeError, `${where}.${k} is not an option (use blockedDestinations, sources, endpoints)`);
  }
  const dest = tokenList(`${where}.blockedDestinations`, v.blockedDestinations ?? ['script'], DESTINATIONS);
  let out = `blocked-destinations=(${dest.join(' ')})`;
  if (v.sources !== undefined)
    out += `, sources=(${tokenList(`${where}.sources`, v.sources, new Set(['inline'])).join(' ')})`;
  if (v.endpoints !== undefined) {
    if (!Array.isArray(v.endpoints) || v.endpoints.length === 0)
      throw invalidOption(
        TypeError,
        `${where}.endpoints must be a non-empty array of endpoint names, got ${show(v.endpoints)}`,
      );
    const names = v.endpoints.map((e) => endpointName(`${where}.endpoints`, e, declared));
    if (new Set(names).size !== names.length)
      throw invalidOption(TypeError, `${where}.endpoints repeats a name: ${show(names)}`);
    out += `, endpoints=(${names.join(' ')})`;
  }
  return out;
}

/**
 * Compiles Document-Isolation-Policy options: `true` → `isolate-and-require-corp`;
 * `{ value: 'isolate-and-credentialless', reportTo: 'dip' }` → `isolate-and-credentialless; report-to="dip"`.
 */
export function compileDocumentIsolationPolicy(
  where: string,
  v: unknown,
  declared: ReadonlySet<string> | null,
): string {
  if (v === true) v = {};
  if (typeof v === 'string') v = { value: v };
  if (!isRecord(v))
    throw invalidOption(TypeError, `${where}: must be a policy value, an object or a boolean, got ${show(v)}`);
  for (const k of Object.keys(v)) {
    if (k !== 'value' && k !== 'reportTo')
      throw invalidOption(TypeError, `${where}.${k} is not an option (use value, reportTo)`);
  }
  const value = v.value ?? 'isolate-and-require-corp';
  if (typeof value !== 'string' || !DIP_VALUES.has(value))
    throw invalidOption(TypeError, `${where}: value must be one of ${[...DIP_VALUES].join(', ')}, got ${show(value)}`);
  if (v.reportTo === undefined) return value;
  return `${value}; report-to="${endpointName(`${where}.reportTo`, v.reportTo, declared)}"`;
}
