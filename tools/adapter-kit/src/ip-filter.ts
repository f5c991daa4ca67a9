// IP allow / deny lists: CIDRs compiled once into 128-bit (four 32-bit words) network/mask pairs. IPv4 lives inside
// IPv6 as the IPv4-mapped range ::ffff:0:0/96, so `10.0.0.0/8` and `::ffff:10.0.0.0/104` are the same network and an
// IPv4 client seen as `::ffff:10.1.2.3` (a dual-stack socket) matches either.

import { parseIp } from './client-ip.js';
import { invalidOption } from './errors.js';
import { show } from './options.js';

/** An IPv4/IPv6 address, a CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a named range (`loopback`, `linklocal`, `uniquelocal`). */
export type IpRange = string;

/**
 * An IP allow / deny list. The client address is the one the rate limiter uses (after `trustProxy`).
 * - `deny`: addresses in these ranges are refused (403), whatever `allow` says.
 * - `allow`: when given (even empty), only addresses in these ranges pass.
 * An address that cannot be read as IPv4 or IPv6 is refused by any list.
 */
export interface IpFilterOptions {
  /** Ranges that may pass; every other address is refused. Absent: every address not denied passes. */
  allow?: readonly IpRange[];
  /** Ranges that are refused; checked before `allow`. */
  deny?: readonly IpRange[];
}

/** A compiled list: `allows(ip)` is true when the address may pass. */
export interface IpFilter {
  allows(ip: string): boolean;
}

/** Named ranges, as `trustProxy` knows them. */
export const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
});

/** A network: four address words and four mask words (a flat array: n networks take 8n numbers). */
type Nets = Uint32Array<ArrayBufferLike>;

/** The four 32-bit words of an address, IPv4 mapped into ::ffff:0:0/96; undefined when it is not an address. */
export function ipWords(
  ip: string,
  out: Uint32Array<ArrayBufferLike> = new Uint32Array(4),
): Uint32Array<ArrayBufferLike> | undefined {
  const b = parseIp(ip);
  if (b === undefined) return undefined;
  if (b.length === 4) {
    out[0] = 0;
    out[1] = 0;
    out[2] = 0xffff;
    out[3] = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    return out;
  }
  for (let i = 0; i < 4; i++)
    out[i] = ((b[i * 4]! << 24) | (b[i * 4 + 1]! << 16) | (b[i * 4 + 2]! << 8) | b[i * 4 + 3]!) >>> 0;
  return out;
}

/** An IPv4 part with a leading zero is refused: some parsers read `010` as octal 8, ours as decimal 10. */
const V4_LEADING_ZERO = /(^|\.)0\d/;

/**
 * Compiles one range into `nets` at `at`.
 * @throws {TypeError} ERR_INVALID_OPTION naming the entry when it is not an address, CIDR or named range.
 */
function compileRange(raw: unknown, where: string, nets: Nets, at: number): void {
  const bad = (why: string): never => {
    throw invalidOption(
      TypeError,
      `${where}: ${show(raw)} ${why}; expected an IPv4/IPv6 address, a CIDR like "10.0.0.0/8" or "2001:db8::/32", or one of loopback, linklocal, uniquelocal`,
    );
  };
  if (typeof raw !== 'string') throw bad('is not a string');
  const s = raw.trim();
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const bitsText = slash < 0 ? undefined : s.slice(slash + 1);
  if (addr.includes('%')) bad('has a zone id');
  const isV4 = !addr.includes(':');
  if (V4_LEADING_ZERO.test(addr.slice(addr.lastIndexOf(':') + 1)))
    bad('has a leading zero in an IPv4 part (ambiguous: octal or decimal)');
  const words = ipWords(addr, nets.subarray(at, at + 4));
  if (words === undefined) throw bad('is not an IP address');
  const max = isV4 ? 32 : 128;
  if (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText)) bad('has a prefix length that is not a number');
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (bits > max) bad(`has a prefix length above ${max}`);
  const total = isV4 ? 96 + bits : bits;
  for (let i = 0; i < 4; i++) {
    const n = Math.min(32, Math.max(0, total - i * 32));
    const mask = n === 0 ? 0 : n === 32 ? 0xffffffff : (0xffffffff << (32 - n)) >>> 0;
    nets[at + 4 + i] = mask;
    if ((words[i]! & ~mask) >>> 0 !== 0)
      bad(
        `has bits set after its /${bits} prefix (did you mean ${networkText(nets, at, isV4)}/${bits}? a single address needs no prefix)`,
      );
  }
}

/** The network address of a compiled range, for the "did you mean" of an error. */
function networkText(nets: Nets, at: number, v4: boolean): string {
  const w = (i: number) => (nets[at + i]! & nets[at + 4 + i]!) >>> 0;
  if (v4) {
    const x = w(3);
    return `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 4; i++) groups.push((w(i) >>> 16).toString(16), (w(i) & 0xffff).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Compiles a list of ranges (named ranges expanded). */
function compileList(list: unknown, where: string): Nets {
  if (!Array.isArray(list))
    throw invalidOption(TypeError, `${where} must be an array of addresses or CIDRs, got ${show(list)}`);
  const expanded: unknown[] = [];
  for (const item of list) {
    const named = typeof item === 'string' ? NAMED_RANGES[item.trim()] : undefined;
    if (named !== undefined) expanded.push(...named);
    else expanded.push(item);
  }
  const nets: Nets = new Uint32Array(expanded.length * 8);
  for (let i = 0; i < expanded.length; i++) compileRange(expanded[i], `${where}[${i}]`, nets, i * 8);
  return nets;
}

function inAny(w: Uint32Array<ArrayBufferLike>, nets: Nets): boolean {
  for (let at = 0; at < nets.length; at += 8) {
    // the network words have no bits after the prefix (compileRange refuses them)
    if (
      (w[0]! & nets[at + 4]!) >>> 0 === nets[at] &&
      (w[1]! & nets[at + 5]!) >>> 0 === nets[at + 1] &&
      (w[2]! & nets[at + 6]!) >>> 0 === nets[at + 2] &&
      (w[3]! & nets[at + 7]!) >>> 0 === nets[at + 3]
    )
      return true;
  }
  return false;
}

/**
 * Compiles an allow / deny list once; undefined when `opts` is undefined (nothing to check, nothing per request).
 * @throws {TypeError} ERR_INVALID_OPTION naming the option and the entry on anything that is not an address, a CIDR
 * (prefix within 0–32 / 0–128, no bits set after it) or a named range.
 */
export function compileIpFilter(opts: IpFilterOptions | undefined, where: string): IpFilter | undefined {
  if (opts === undefined) return undefined;
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts))
    throw invalidOption(TypeError, `${where} must be an object { allow?, deny? }, got ${show(opts)}`);
  for (const k of Object.keys(opts))
    if (k !== 'allow' && k !== 'deny')
      throw invalidOption(TypeError, `${where}: unknown option ${show(k)} (expected allow, deny)`);
  if (opts.allow === undefined && opts.deny === undefined)
    throw invalidOption(TypeError, `${where} needs allow, deny or both`);
  const allow = opts.allow === undefined ? undefined : compileList(opts.allow, `${where}.allow`);
  const deny = opts.deny === undefined ? undefined : compileList(opts.deny, `${where}.deny`);
  const w = new Uint32Array(4);
  return {
    allows(ip: string): boolean {
      // one scratch buffer: a check never yields, so two requests never share it at once
      if (ipWords(ip, w) === undefined) return false;
      if (deny !== undefined && inAny(w, deny)) return false;
      return allow === undefined || inAny(w, allow);
    },
  };
}
