/**
 * Redaction paths compiled once into a small deterministic automaton. The serialiser walks it alongside the value:
 * one Map lookup per key while inside a redacted subtree, nothing at all elsewhere.
 */

/** A compiled state: `terminal` means "the value here is censored". `null` states are dead (nothing below matches). */
import { invalidOption } from '../errors.js';
export interface RState {
  terminal: boolean;
  explicit: Map<string, RState | null> | null;
  other: RState | null;
}

interface NNode {
  id: number;
  edges: Map<string, NNode>;
  star: NNode | null;
  glob: boolean;
  terminal: boolean;
  /** Nodes entered without consuming a key (a `**` matches zero keys too). */
  eps: NNode[];
}

/** Splits `a.b["c.d"][0].*` into segments; throws a TypeError naming the path on bad syntax. */
export function parsePath(path: string, where: string): string[] {
  if (typeof path !== 'string' || path === '') {
    throw invalidOption(
      TypeError,
      `logger: ${where} must be a non-empty string, got ${JSON.stringify(path) ?? String(path)}`,
    );
  }
  const segs: string[] = [];
  let i = 0;
  const bad = (why: string): never => {
    throw invalidOption(TypeError, `logger: ${where} "${path}" is not a valid path (${why} at ${i})`);
  };
  let expectSeg = true;
  while (i < path.length) {
    const c = path[i]!;
    if (c === '[') {
      const q = path[i + 1];
      if (q === '"' || q === "'") {
        const end = path.indexOf(q, i + 2);
        if (end < 0 || path[end + 1] !== ']') bad('unterminated quoted key');
        segs.push(path.slice(i + 2, end));
        i = end + 2;
      } else {
        const end = path.indexOf(']', i);
        if (end < 0) bad('unterminated [');
        const inner = path.slice(i + 1, end).trim();
        if (inner === '') bad('empty []');
        segs.push(inner);
        i = end + 1;
      }
      expectSeg = false;
    } else if (c === '.') {
      if (expectSeg) bad('empty segment');
      i++;
      expectSeg = true;
    } else {
      if (!expectSeg) bad('missing "." before key');
      let end = i;
      while (end < path.length && path[end] !== '.' && path[end] !== '[') end++;
      segs.push(path.slice(i, end));
      i = end;
      expectSeg = false;
    }
  }
  if (expectSeg) bad('trailing "."');
  return segs;
}

const MAX_STATES = 4096;

/** Compiles redaction paths into the start state (null when there is nothing to redact). */
export function compileRedaction(paths: readonly string[], caseInsensitive: boolean): RState | null {
  if (paths.length === 0) return null;
  let ids = 0;
  const node = (): NNode => ({ id: ids++, edges: new Map(), star: null, glob: false, terminal: false, eps: [] });
  const root = node();
  paths.forEach((p, idx) => {
    const segs = parsePath(p, `redact.paths[${idx}]`);
    let cur = root;
    for (const raw of segs) {
      if (raw === '**') {
        // `**` = zero or more keys: a node that loops on any key, entered without consuming one.
        if (cur.glob) continue;
        let g = cur.eps.find((e) => e.glob);
        if (!g) {
          g = node();
          g.glob = true;
          cur.eps.push(g);
        }
        cur = g;
      } else if (raw === '*') {
        cur.star ??= node();
        cur = cur.star;
      } else {
        const k = caseInsensitive ? raw.toLowerCase() : raw;
        let n = cur.edges.get(k);
        if (!n) {
          n = node();
          cur.edges.set(k, n);
        }
        cur = n;
      }
    }
    cur.terminal = true;
  });

  const closure = (set: Set<NNode>): Set<NNode> => {
    const stack = [...set];
    while (stack.length) {
      const n = stack.pop()!;
      for (const e of n.eps) {
        if (!set.has(e)) {
          set.add(e);
          stack.push(e);
        }
      }
    }
    return set;
  };
  const memo = new Map<string, RState | null>();
  const build = (set: Set<NNode>): RState | null => {
    if (set.size === 0) return null;
    const key = [...set]
      .map((n) => n.id)
      .sort((a, b) => a - b)
      .join(',');
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    if (memo.size >= MAX_STATES)
      throw invalidOption(RangeError, `logger: redact.paths are too complex (over ${MAX_STATES} states)`);
    const st: RState = { terminal: false, explicit: null, other: null };
    memo.set(key, st);
    const keys = new Set<string>();
    for (const n of set) {
      if (n.terminal) st.terminal = true;
      for (const k of n.edges.keys()) keys.add(k);
    }
    const step = (k: string | null): Set<NNode> => {
      const out = new Set<NNode>();
      for (const n of set) {
        if (k !== null) {
          const e = n.edges.get(k);
          if (e) out.add(e);
        }
        if (n.star) out.add(n.star);
        if (n.glob) out.add(n);
      }
      return closure(out);
    };
    if (keys.size) {
      st.explicit = new Map();
      for (const k of keys) st.explicit.set(k, build(step(k)));
    }
    st.other = build(step(null));
    return st;
  };
  return build(closure(new Set([root])));
}

/** Moves one key down the automaton. */
export function stepRedaction(s: RState, key: string, caseInsensitive: boolean): RState | null {
  const e = s.explicit;
  if (e !== null) {
    const r = e.get(caseInsensitive ? key.toLowerCase() : key);
    if (r !== undefined) return r;
  }
  return s.other;
}
