import type * as NodeCrypto from 'node:crypto';

type NodeCryptoModule = typeof NodeCrypto;

let cached: NodeCryptoModule | null | undefined;

/**
 * The runtime's node:crypto, found at run time (Node >= 20.16, Bun, Deno) — never a static import, so the main entry
 * loads on edge runtimes too. Returns null where there is none.
 */
export function nodeCrypto(): NodeCryptoModule | null {
  if (cached !== undefined) return cached;
  let mod: NodeCryptoModule | null = null;
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const m = proc?.getBuiltinModule?.('node:crypto') as NodeCryptoModule | undefined;
    if (m && typeof m.createCipheriv === 'function' && m.getCiphers().includes('aes-256-gcm')) mod = m;
  } catch {
    mod = null;
  }
  cached = mod;
  return mod;
}
