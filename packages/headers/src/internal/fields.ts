import { invalidOption } from '../errors.js';
import { isRecord, parseOrigin, show } from './util.js';

/** One Permissions-Policy allowlist: `[]` (nobody), `'*'`, `'self'`, or a list of `'self'`, `'src'` and origins. */
export type PermissionsAllowlist = readonly string[] | '*' | 'self';

const FEATURE = /^[a-z][a-z0-9-]*$/;

/** Compiles a Permissions-Policy record to its structured-field text: `camera=(), geolocation=(self "https://a.example")`. */
export function compilePermissionsPolicy(where: string, policy: unknown): string {
  if (!isRecord(policy))
    throw invalidOption(TypeError, `${where}: must be an object of feature → allowlist, got ${show(policy)}`);
  const items: string[] = [];
  for (const feature of Object.keys(policy)) {
    if (!FEATURE.test(feature)) {
      throw invalidOption(
        TypeError,
        `${where}: feature ${show(feature)} is not a valid feature name (lowercase, digits, "-")`,
      );
    }
    const v = policy[feature];
    if (v === null || v === false || v === undefined) continue;
    if (v === '*') {
      items.push(`${feature}=*`);
      continue;
    }
    if (v === 'self') {
      items.push(`${feature}=self`);
      continue;
    }
    if (!Array.isArray(v)) {
      throw invalidOption(
        TypeError,
        `${where}: feature ${feature} must be [], '*', 'self' or an array of origins, got ${show(v)}`,
      );
    }
    const parts: string[] = [];
    for (const t of v) {
      if (t === 'self' || t === 'src') parts.push(t);
      else if (t === '*') {
        throw invalidOption(
          TypeError,
          `${where}: feature ${feature} uses '*' inside a list; write ${feature}: '*' instead`,
        );
      } else if (typeof t === 'string' && parseOrigin(t) !== undefined) parts.push(`"${t}"`);
      else {
        throw invalidOption(
          TypeError,
          `${where}: feature ${feature} has an invalid allowlist entry ${show(t)} (use 'self', 'src' or an origin like https://a.example)`,
        );
      }
    }
    items.push(`${feature}=(${parts.join(' ')})`);
  }
  if (items.length === 0)
    throw invalidOption(TypeError, `${where}: lists no features; disable the header with false instead`);
  return items.join(', ');
}

const ENDPOINT_NAME = /^[a-z*][a-z0-9_\-.*]*$/;
const ENDPOINT_URL = /^(?:https:\/\/|http:\/\/(?:localhost|127\.0\.0\.1|\[::1\])(?:[:/]|$)|\/)[\x21-\x7e]*$/;

/** Compiles Reporting-Endpoints: `csp="https://r.example/csp", default="/reports"`. Returns the names too. */
export function compileReportingEndpoints(where: string, endpoints: unknown): { value: string; names: Set<string> } {
  if (!isRecord(endpoints))
    throw invalidOption(TypeError, `${where}: must be an object of name → URL, got ${show(endpoints)}`);
  const names = new Set<string>();
  const items: string[] = [];
  for (const name of Object.keys(endpoints)) {
    if (!ENDPOINT_NAME.test(name)) {
      throw invalidOption(
        TypeError,
        `${where}: endpoint name ${show(name)} must be lowercase letters, digits, "_", "-", "."`,
      );
    }
    const url = endpoints[name];
    if (typeof url !== 'string' || !ENDPOINT_URL.test(url) || /["\\,;]/.test(url)) {
      throw invalidOption(
        TypeError,
        `${where}: endpoint ${name} must be an https URL (http only for localhost) or a path starting with "/", without quotes, commas or semicolons, got ${show(url)}`,
      );
    }
    names.add(name);
    items.push(`${name}="${url}"`);
  }
  if (items.length === 0)
    throw invalidOption(TypeError, `${where}: declares no endpoints; disable it with false instead`);
  return { value: items.join(', '), names };
}
