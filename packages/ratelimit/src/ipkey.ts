import { invalidOption } from './errors.js';

/** Options for {@link ipKey}. */
export interface IpKeyOptions {
  /** IPv6 addresses are grouped by this prefix length (a /56 is what one subscriber usually gets). Default 56. */
  ipv6Prefix?: number;
  /** IPv4 prefix length. Default 32 (one key per address). */
  ipv4Prefix?: number;
}

/** Defaults applied by {@link ipKey}. */
export const IP_KEY_DEFAULTS: Readonly<Required<IpKeyOptions>> = Object.freeze({ ipv6Prefix: 56, ipv4Prefix: 32 });

const parseV4 = (s: string): number => {
  const parts = s.split('.');
  if (parts.length !== 4) return -1;
  let v = 0;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3 || !/^\d+$/.test(p)) return -1;
    const o = Number(p);
    if (o > 255 || (p.length > 1 && p[0] === '0')) return -1;
    v = v * 256 + o;
  }
  return v;
};

const v4String = (v: number, prefix: number): string => {
  const masked = prefix >= 32 ? v : prefix === 0 ? 0 : v - (v % 2 ** (32 - prefix));
  const s = `${Math.floor(masked / 16777216)}.${Math.floor(masked / 65536) % 256}.${Math.floor(masked / 256) % 256}.${masked % 256}`;
  return prefix >= 32 ? s : `${s}/${prefix}`;
};

/** Parses IPv6 into 8 groups, or null. Accepts ::, an embedded dotted IPv4 tail, brackets and a %zone. */
const parseV6 = (s: string): number[] | null => {
  let groups: string[];
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (v4 < 0) return null;
    s = `${s.slice(0, lastColon + 1)}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
  }
  const dbl = s.indexOf('::');
  const need = 8;
  if (dbl >= 0) {
    if (s.indexOf('::', dbl + 1) >= 0) return null;
    const [l, r] = [s.slice(0, s.indexOf('::')), s.slice(s.indexOf('::') + 2)];
    const left = l === '' ? [] : l.split(':');
    const right = r === '' ? [] : r.split(':');
    const fill = need - left.length - right.length;
    if (fill < 1) return null;
    groups = [...left, ...new Array<string>(fill).fill('0'), ...right];
  } else {
    groups = s.split(':');
    if (groups.length !== need) return null;
  }
  const out: number[] = [];
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    out.push(Number.parseInt(g, 16));
  }
  return out;
};

const v6String = (g: number[]): string => {
  // RFC 5952: compress the longest run (>= 2) of zero groups, lowercase hex.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
};

/**
 * Normalises a client IP into a rate-limit key. IPv4 stays as is (or masked to `ipv4Prefix`); IPv4-mapped IPv6
 * (`::ffff:1.2.3.4`, `::ffff:102:304`) is treated as that IPv4; other IPv6 is masked to `ipv6Prefix` (default /56)
 * and written canonically with the prefix (`2001:db8:0:100::/56`), so one subscriber cannot rotate through its
 * 2^72 addresses to escape the limit. Brackets and zone ids are ignored. Input that is not an IP is returned as is.
 * @throws {RangeError} when a prefix option is out of range.
 */
export function ipKey(ip: string, opts?: IpKeyOptions): string {
  const p6 = opts?.ipv6Prefix ?? IP_KEY_DEFAULTS.ipv6Prefix;
  const p4 = opts?.ipv4Prefix ?? IP_KEY_DEFAULTS.ipv4Prefix;
  if (!Number.isInteger(p6) || p6 < 0 || p6 > 128)
    throw invalidOption(RangeError, `ipKey: ipv6Prefix must be an integer between 0 and 128, got ${String(p6)}`);
  if (!Number.isInteger(p4) || p4 < 0 || p4 > 32)
    throw invalidOption(RangeError, `ipKey: ipv4Prefix must be an integer between 0 and 32, got ${String(p4)}`);
  if (typeof ip !== 'string') return String(ip);
  let s = ip.trim();
  if (!s.includes(':')) {
    const v = parseV4(s);
    return v < 0 ? ip : v4String(v, p4);
  }
  if (s[0] === '[') s = s.slice(1, s.indexOf(']') >= 0 ? s.indexOf(']') : s.length);
  const z = s.indexOf('%');
  if (z >= 0) s = s.slice(0, z);
  const g = parseV6(s);
  if (g === null) return ip;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff)
    return v4String(g[6]! * 65536 + g[7]!, p4);
  if (p6 >= 128) return v6String(g);
  for (let i = 0; i < 8; i++) {
    const bits = p6 - i * 16;
    if (bits >= 16) continue;
    g[i] = bits <= 0 ? 0 : g[i]! & (0xffff << (16 - bits)) & 0xffff;
  }
  return `${v6String(g)}/${p6}`;
}
