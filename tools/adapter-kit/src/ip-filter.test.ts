import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileIpFilter } from './ip-filter.js';

// A reference model in BigInt: an address is a 128-bit number (IPv4 as ::ffff:a.b.c.d), a CIDR a number and a length.
const v4Int = (b: number[]): bigint =>
  (0xffffn << 32n) | BigInt(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0);
const v6Int = (g: number[]): bigint => g.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n);
const inNet = (addr: bigint, net: bigint, bits: number): boolean =>
  bits === 0 || addr >> BigInt(128 - bits) === net >> BigInt(128 - bits);
const maskTo = (x: bigint, bits: number): bigint => (bits === 0 ? 0n : (x >> BigInt(128 - bits)) << BigInt(128 - bits));

const v4Text = (b: number[]): string => b.join('.');
const v6Full = (g: number[]): string => g.map((x) => x.toString(16)).join(':');
/** The compressed form (longest run of zero groups as ::), as Node prints addresses. */
const v6Short = (g: number[]): string => {
  let best = -1;
  let len = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > len && j - i > 1) {
      best = i;
      len = j - i;
    }
    i = j;
  }
  if (best < 0) return v6Full(g);
  const h = g
    .slice(0, best)
    .map((x) => x.toString(16))
    .join(':');
  const t = g
    .slice(best + len)
    .map((x) => x.toString(16))
    .join(':');
  return `${h}::${t}`;
};
const fromInt = (x: bigint): number[] =>
  Array.from({ length: 8 }, (_, i) => Number((x >> BigInt(112 - i * 16)) & 0xffffn));
const v4FromInt = (x: bigint): number[] => {
  const n = Number(x & 0xffffffffn);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
};

const byte = fc.integer({ min: 0, max: 255 });
const v4 = fc.array(byte, { minLength: 4, maxLength: 4 });
const group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
const v6 = fc.array(group, { minLength: 8, maxLength: 8 });

/** A CIDR as text and as the model sees it. */
const cidr = fc.oneof(
  fc.tuple(v4, fc.integer({ min: 0, max: 32 })).map(([b, bits]) => {
    const net = maskTo(v4Int(b), 96 + bits);
    return { text: `${v4Text(v4FromInt(net))}/${bits}`, net, bits: 96 + bits };
  }),
  fc.tuple(v6, fc.integer({ min: 0, max: 128 }), fc.boolean()).map(([g, bits, short]) => {
    const net = maskTo(v6Int(g), bits);
    return { text: `${(short ? v6Short : v6Full)(fromInt(net))}/${bits}`, net, bits };
  }),
);
/** An address as text (in one of its spellings) and as the model sees it. */
const address = fc.oneof(
  v4.map((b) => ({ texts: [v4Text(b), `::ffff:${v4Text(b)}`], value: v4Int(b) })),
  v6.map((g) => ({ texts: [v6Full(g), v6Short(g)], value: v6Int(g) })),
);

describe('compileIpFilter: against a BigInt model', () => {
  it('allow and deny lists agree with the model, for every spelling of the address', () => {
    fc.assert(
      fc.property(fc.array(cidr, { maxLength: 6 }), fc.array(cidr, { maxLength: 6 }), address, (allow, deny, a) => {
        const f = compileIpFilter({ allow: allow.map((c) => c.text), deny: deny.map((c) => c.text) }, 't')!;
        const expected =
          !deny.some((c) => inNet(a.value, c.net, c.bits)) && allow.some((c) => inNet(a.value, c.net, c.bits));
        for (const text of a.texts)
          expect(f.allows(text), `${text} allow=${allow.map((c) => c.text)} deny=${deny.map((c) => c.text)}`).toBe(
            expected,
          );
      }),
      { numRuns: 2000 },
    );
  });

  it('an address is always in its own network, at every prefix length', () => {
    fc.assert(
      fc.property(address, fc.integer({ min: 0, max: 128 }), (a, bits) => {
        const isV4 = a.texts[0]!.includes('.') && !a.texts[0]!.includes(':');
        const text = isV4
          ? `${v4Text(v4FromInt(maskTo(a.value, Math.max(96, bits))))}/${Math.max(0, bits - 96)}`
          : `${v6Full(fromInt(maskTo(a.value, bits)))}/${bits}`;
        const f = compileIpFilter({ allow: [text] }, 't')!;
        for (const t of a.texts) expect(f.allows(t), `${t} in ${text}`).toBe(true);
      }),
    );
  });
});

describe('compileIpFilter: edges', () => {
  it('IPv4-mapped IPv6 is IPv4, whichever side writes it', () => {
    const f = compileIpFilter({ allow: ['10.0.0.0/8'] }, 't')!;
    expect(f.allows('10.1.2.3')).toBe(true);
    expect(f.allows('::ffff:10.1.2.3')).toBe(true);
    expect(f.allows('::FFFF:a01:203')).toBe(true);
    expect(f.allows('11.0.0.1')).toBe(false);
    const mapped = compileIpFilter({ deny: ['::ffff:192.0.2.0/120'] }, 't')!;
    expect(mapped.allows('192.0.2.77')).toBe(false);
    expect(mapped.allows('192.0.3.1')).toBe(true);
    // ::/0 is every address, IPv4 included; 0.0.0.0/0 is every IPv4 address only
    expect(compileIpFilter({ deny: ['::/0'] }, 't')!.allows('1.2.3.4')).toBe(false);
    const all4 = compileIpFilter({ allow: ['0.0.0.0/0'] }, 't')!;
    expect(all4.allows('1.2.3.4')).toBe(true);
    expect(all4.allows('2001:db8::1')).toBe(false);
    // the IPv4-compatible ::a.b.c.d is not the mapped form
    expect(f.allows('::10.1.2.3')).toBe(false);
  });

  it('single addresses, /32 and /128, named ranges, zone ids, deny over allow', () => {
    const f = compileIpFilter({ allow: ['loopback', '2001:db8::1', '192.0.2.1/32'], deny: ['127.0.0.2'] }, 't')!;
    expect(f.allows('127.0.0.1')).toBe(true);
    expect(f.allows('127.255.0.1')).toBe(true);
    expect(f.allows('127.0.0.2')).toBe(false);
    expect(f.allows('::1')).toBe(true);
    expect(f.allows('::2')).toBe(false);
    expect(f.allows('2001:db8::1')).toBe(true);
    expect(f.allows('2001:db8:0:0:0:0:0:1')).toBe(true);
    expect(f.allows('2001:db8::2')).toBe(false);
    expect(f.allows('192.0.2.1')).toBe(true);
    expect(f.allows('192.0.2.2')).toBe(false);
    expect(compileIpFilter({ allow: ['fe80::/10'] }, 't')!.allows('fe80::1%eth0')).toBe(true);
    expect(compileIpFilter({ allow: ['uniquelocal'] }, 't')!.allows('fd12::1')).toBe(true);
    // an empty allow list lets nobody through; a deny-only list lets everyone else through
    expect(compileIpFilter({ allow: [] }, 't')!.allows('127.0.0.1')).toBe(false);
    expect(compileIpFilter({ deny: ['10.0.0.0/8'] }, 't')!.allows('192.0.2.1')).toBe(true);
  });

  it('an address that does not parse is refused by any list', () => {
    const deny = compileIpFilter({ deny: ['10.0.0.0/8'] }, 't')!;
    const allow = compileIpFilter({ allow: ['::/0'] }, 't')!;
    for (const bad of ['', 'garbage', '1.2.3', '256.0.0.1', '::g', '1.2.3.4:80', '[::1]:80', '\u0000'])
      for (const f of [deny, allow]) expect(f.allows(bad), JSON.stringify(bad)).toBe(false);
  });

  it('nothing configured compiles to nothing', () => {
    expect(compileIpFilter(undefined, 't')).toBeUndefined();
  });

  it('a bad list throws ERR_INVALID_OPTION at setup, naming the option and the entry', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ allow: ['10.0.0.0/33'] }, /express: ipFilter\.allow\[0\]: "10\.0\.0\.0\/33" has a prefix length above 32/],
      [{ deny: ['2001:db8::/129'] }, /ipFilter\.deny\[0\]: "2001:db8::\/129" has a prefix length above 128/],
      [{ allow: ['10.0.0.1/8'] }, /bits set after its \/8 prefix \(did you mean 10\.0\.0\.0\/8\?/],
      [{ allow: ['2001:db8::1/32'] }, /did you mean 2001:db8::\/32\?/],
      [{ allow: ['10.0.0.0/'] }, /prefix length that is not a number/],
      [{ allow: ['10.0.0.0/8/8'] }, /prefix length that is not a number/],
      [{ allow: ['10.0.0.0/-1'] }, /prefix length that is not a number/],
      [{ allow: ['010.0.0.0/8'] }, /leading zero/],
      [{ allow: ['::ffff:010.0.0.1'] }, /leading zero/],
      [{ allow: ['fe80::1%eth0'] }, /zone id/],
      [{ allow: ['localhost'] }, /"localhost" is not an IP address/],
      [{ allow: ['1.2.3'] }, /is not an IP address/],
      [{ allow: [42] }, /ipFilter\.allow\[0\]: 42 is not a string/],
      [{ allow: '10.0.0.0/8' }, /ipFilter\.allow must be an array/],
      [{ allows: ['10.0.0.0/8'] }, /unknown option "allows"/],
      [{}, /needs allow, deny or both/],
      [['10.0.0.0/8'], /must be an object/],
      [null, /must be an object/],
    ];
    for (const [opts, message] of cases) {
      let err: unknown;
      try {
        compileIpFilter(opts as never, 'express: ipFilter');
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(opts)).toBeInstanceOf(TypeError);
      expect((err as Error).message).toMatch(message);
      expect(err).toMatchObject({ code: 'ERR_INVALID_OPTION', retryable: false });
      expect(String((err as Error).stack).split('\n')[0]).toContain('TypeError [ERR_INVALID_OPTION]: ');
    }
  });
});
