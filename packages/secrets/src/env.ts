import { invalidOption } from './errors.js';
import type { ProviderValue, SecretProvider } from './secrets.js';

/** Options for {@link envProvider}. */
export interface EnvProviderOptions {
  /**
   * The variables to read. Default: `process.env` (Node, Bun, Deno 2), read at each access so later changes are
   * seen. Pass the bindings object on runtimes without `process` (Cloudflare Workers' `env`).
   */
  env?: Readonly<Record<string, unknown>>;
  /** Prefix of the variable names: `prefix + name`. Default `''`. */
  prefix?: string;
  /** Maps a secret name to a variable name (after which `prefix` is not added). Default: `prefix + name`. */
  variable?: (name: string) => string;
  /** Provider name in events and errors. Default `'env'`. */
  name?: string;
}

/**
 * Reads secrets from environment variables. An unset or empty variable is "not here" (the next provider is asked).
 *
 * ```ts
 * const vault = secrets({ providers: [envProvider({ prefix: 'APP_' })], secrets: { TOKEN: true } }); // APP_TOKEN
 * ```
 * @throws {TypeError} on a bad option, or when there is no `process.env` and no `env` was given.
 */
export function envProvider(options: EnvProviderOptions = {}): SecretProvider {
  const W = 'envProvider';
  if (typeof options !== 'object' || options === null)
    throw invalidOption(TypeError, `${W}: options must be an object, got ${String(options)}`);
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string') throw invalidOption(TypeError, `${W}: prefix must be a string, got ${typeof prefix}`);
  const variable = options.variable ?? ((n: string) => prefix + n);
  if (typeof variable !== 'function') throw invalidOption(TypeError, `${W}: variable must be a function`);
  const given = options.env;
  const proc = (globalThis as { process?: { env?: Record<string, unknown> } }).process;
  if (given === undefined && (proc === undefined || typeof proc.env !== 'object' || proc.env === null))
    throw invalidOption(TypeError, `${W}: this runtime has no process.env; pass the variables as env`);
  if (given !== undefined && (typeof given !== 'object' || given === null))
    throw invalidOption(TypeError, `${W}: env must be an object of variables, got ${String(given)}`);
  return {
    name: options.name ?? 'env',
    get(name: string): ProviderValue | undefined {
      const env = given ?? (proc?.env as Record<string, unknown>);
      const v = env[variable(name)];
      return typeof v === 'string' && v !== '' ? v : undefined;
    },
  };
}
