// One case of bench/instructions.ts: runs `warm-up + n` operations of one contender (the same code as bench/index.ts).
// Usage: node --single-threaded instructions-child.mjs <mainEntry> <case> <bytes> <warm-up ops> <n>
// case: raw-decrypt | envelope-decrypt | raw-encrypt | envelope-encrypt
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const [entry, which, sizeArg, warmArg, nArg] = process.argv.slice(2);
const { createCipher, createKeyring, memoryKeyStore } = await import(pathToFileURL(entry).href);
const native = createCipher({ keyring: await createKeyring({ store: memoryKeyStore() }), backend: 'native' });
const pt = randomBytes(Number(sizeArg));
const key = randomBytes(32);
const iv = randomBytes(12);
const c = createCipheriv('aes-256-gcm', key, iv);
const ct = Buffer.concat([c.update(pt), c.final()]);
const tag = c.getAuthTag();
const env = await native.encrypt(pt);
const ops = {
  'raw-decrypt': () => {
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAuthTag(tag);
    const out = d.update(ct);
    d.final();
    return out;
  },
  'envelope-decrypt': () => native.decrypt(env),
  'raw-encrypt': () => {
    const nonce = randomBytes(12);
    const e = createCipheriv('aes-256-gcm', key, nonce);
    return Buffer.concat([nonce, e.update(pt), e.final(), e.getAuthTag()]);
  },
  'envelope-encrypt': () => native.encrypt(pt),
};
const op = ops[which];
if (!op) throw new Error(`unknown case ${which}`);
const total = Number(warmArg) + Number(nArg);
if (which.startsWith('envelope')) for (let i = 0; i < total; i++) await op();
else for (let i = 0; i < total; i++) op();
