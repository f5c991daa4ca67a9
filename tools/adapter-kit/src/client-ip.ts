// The client address behind trusted proxies: which peers may set X-Forwarded-For, and the walk through it.

import { invalidOption } from './errors.js';

/**
 * Which peers may set `X-Forwarded-For`:
 * - `false` (default): never trust it; the client is the socket peer.
 * - `true`: trust every hop; the client is the left-most address. Only behind a proxy that replaces the header: behind
 *   one that appends to it (most do), any client chooses its own address by sending the header itself.
 * - a number `n`: trust the `n` closest hops.
 * - addresses / CIDRs / the names `loopback`, `linklocal`, `uniquelocal` (string, comma list or array).
 * - a function `(address, hop) => boolean`.
 */
export type TrustProxy = boolean | number | string | readonly string[] | ((address: string, hop: number) => boolean);

type Cidr = { bytes: Uint8Array; bits: number };
const NAMED: Record<string, string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** Compiles a {@link TrustProxy} setting once into a predicate. */
export function compileTrust(
  trust: TrustProxy | undefined,
  option = 'trustProxy',
): (addr: string, hop: number) => boolean {
  if (trust === undefined || trust === false) return () => false;
  if (trust === true) return () => true;
  if (typeof trust === 'function') return trust;
  if (typeof trust === 'number') {
    if (!Number.isInteger(trust) || trust < 0)
      throw invalidOption(RangeError, `${option} must be an integer >= 0 when a number, got ${trust}`);
    return (_a, hop) => hop < trust;
  }
  const list = typeof trust === 'string' ? trust.split(',') : trust;
  if (!Array.isArray(list))
    throw invalidOption(TypeError, `${option} must be a boolean, number, string, array or function`);
  const cidrs: Cidr[] = [];
  for (const raw of list) {
    const item = String(raw).trim();
    for (const c of NAMED[item] ?? [item]) {
      const [addr, bitsRaw] = c.split('/');
      const bytes = parseIp(addr ?? '');
      const max = bytes ? bytes.length * 8 : 0;
      const bits = bitsRaw === undefined ? max : Number(bitsRaw);
      if (!bytes || !Number.isInteger(bits) || bits < 0 || bits > max)
        throw invalidOption(
          TypeError,
          `${option}: ${JSON.stringify(item)} is not an IP address, CIDR or one of loopback, linklocal, uniquelocal`,
        );
      cidrs.push({ bytes, bits });
    }
  }
  return (addr) => {
    const b = parseIp(addr);
    if (!b) return false;
    for (const c of cidrs) if (inCidr(b, c)) return true;
    return false;
  };
}

function inCidr(b: Uint8Array, c: Cidr): boolean {
  let ip = b;
  if (ip.length !== c.bytes.length) {
    // compare IPv4-mapped IPv6 (::ffff:a.b.c.d) with IPv4 ranges
    if (ip.length === 16 && c.bytes.length === 4 && isMapped(ip)) ip = ip.subarray(12);
    else return false;
  }
  let bits = c.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip[i]! & mask) !== (c.bytes[i]! & mask)) return false;
  }
  return true;
}

const isMapped = (b: Uint8Array): boolean =>
  b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;

/** Parses an IPv4 or IPv6 address (zone ids dropped) into bytes; undefined when it is not one. */
export function parseIp(s: string): Uint8Array | undefined {
  if (s.includes(':')) return parseV6(s);
  return parseV4(s);
}

function parseV4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseV6(input: string): Uint8Array | undefined {
  let s = input;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  let tail: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) > 0) {
    tail = parseV4(s.slice(lastColon + 1));
    if (!tail) return undefined;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    const n = Number.parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  if (tail) out.set(tail, 12);
  return out;
}

/** Strips the IPv4-mapped prefix (`::ffff:1.2.3.4` → `1.2.3.4`); other strings are returned unchanged. */
export function normalizeIp(ip: string): string {
  return ip.length > 7 && ip.charCodeAt(0) === 58 && /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip) ? ip.slice(7) : ip;
}

const peers = new WeakMap<object, string>();

/**
 * The peer address of a Node socket, read once per connection: a keep-alive connection carries many requests from the
 * same peer, and `remoteAddress` is a getter chain (`_getpeername()`). Kept in a WeakMap, not on the socket.
 */
export function peerAddress(
  socket: { readonly remoteAddress?: string | undefined } | null | undefined,
): string | undefined {
  if (socket === null || socket === undefined) return undefined;
  let a = peers.get(socket);
  if (a === undefined) {
    a = socket.remoteAddress;
    if (a !== undefined) peers.set(socket, a);
  }
  return a;
}

/**
 * The client address: starting at the socket peer, walk `X-Forwarded-For` from right to left while the current hop is
 * trusted. Unparseable forwarded entries stop the walk (they are never returned as the client).
 */
export function clientIp(
  remote: string | undefined,
  forwardedFor: string | string[] | undefined,
  trust: (addr: string, hop: number) => boolean,
): string {
  let current = normalizeIp(remote ?? '');
  if (forwardedFor === undefined || current === '') return current;
  const xff = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  for (let hop = 0, i = xff.length - 1; i >= 0; i--, hop++) {
    if (!trust(current, hop)) return current;
    const next = normalizeIp(xff[i]!.trim());
    if (!parseIp(next)) return current;
    current = next;
  }
  return current;
}
