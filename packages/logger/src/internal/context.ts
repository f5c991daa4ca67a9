/**
 * Request context over AsyncLocalStorage, found at run time (no `node:` import), shared by every copy of the package
 * in the process through a Symbol.for() slot. Without AsyncLocalStorage, context covers the synchronous part of `fn`.
 */

import { copyFields } from './serialize.js';

type Fields = Record<string, unknown>;

interface Als {
  getStore(): Fields | undefined;
  run<R>(store: Fields, fn: () => R): R;
}

interface ContextSlot {
  als: Als | null;
  /** Fallback store when the runtime has no AsyncLocalStorage. */
  current: Fields | undefined;
  /** Set on the first withContext call, so loggers skip the lookup entirely until then. */
  used: boolean;
}

const SLOT = Symbol.for('@org/logger.context');

function findAls(): Als | null {
  const g = globalThis as any;
  try {
    const Ctor =
      g.AsyncLocalStorage ?? g.process?.getBuiltinModule?.('node:async_hooks')?.AsyncLocalStorage ?? undefined;
    return typeof Ctor === 'function' ? (new Ctor() as Als) : null;
  } catch {
    return null;
  }
}

/** The process-wide context slot (created on first use). */
export function slot(): ContextSlot {
  const g = globalThis as any;
  let s = g[SLOT] as ContextSlot | undefined;
  if (!s) {
    s = { als: findAls(), current: undefined, used: false };
    Object.defineProperty(g, SLOT, { value: s, configurable: true });
  }
  return s;
}

/** Current context fields, or undefined. */
export function currentContext(s: ContextSlot): Fields | undefined {
  return s.als !== null ? s.als.getStore() : s.current;
}

/** `{ ...outer, ...fields }`; when spreading throws (hostile Proxies, throwing getters), what could be read. */
function merged(outer: Fields | undefined, fields: Fields): Fields {
  try {
    return outer ? { ...outer, ...fields } : { ...fields };
  } catch {
    const o: Fields = { ...outer };
    copyFields(fields, o, 'contextError');
    return o;
  }
}

/** Runs `fn` with `fields` merged over the current context. */
export function runWithContext<R>(fields: Fields, fn: () => R): R {
  const s = slot();
  s.used = true;
  const store = merged(currentContext(s), fields);
  if (s.als !== null) return s.als.run(store, fn);
  const prev = s.current;
  s.current = store;
  try {
    return fn();
  } finally {
    s.current = prev;
  }
}
