import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface WycheproofTest {
  tcId: number;
  comment: string;
  flags: string[];
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: 'valid' | 'invalid' | 'acceptable';
}

export interface WycheproofGroup {
  keySize: number;
  ivSize: number;
  tagSize: number;
  tests: WycheproofTest[];
}

export function loadVectors(file: string): WycheproofGroup[] {
  const path = fileURLToPath(new URL(`./vectors/${file}`, import.meta.url));
  return (JSON.parse(readFileSync(path, 'utf8')) as { testGroups: WycheproofGroup[] }).testGroups;
}

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Absolute path of a file under test/. */
export const testPath = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url));
