// @org/crypto/node on Node, Bun and Deno: a sealed key file and encrypted file storage on disk.
import { statSync } from 'node:fs';
import { join } from 'node:path';

const ok = (cond, what) => {
  if (!cond) throw new Error(`crypto/node smoke: ${what}`);
};

export default async function smoke(m, env) {
  const { createKeyring, createCipher } = m['@org/crypto'];
  const { fileKeyStore, secureStorage } = m['@org/crypto/node'];
  const kek = new Uint8Array(32).fill(9);
  const path = join(env.tmp, 'keys.json');
  const keyring = await createKeyring({ store: fileKeyStore(path, { kek }) });
  const cipher = createCipher({ keyring });
  ok((statSync(path).mode & 0o777) === 0o600, `key file mode ${(statSync(path).mode & 0o777).toString(8)}`);
  const again = await createKeyring({ store: fileKeyStore(path, { kek }) });
  const sealed = await cipher.encryptString('secret');
  ok(
    (await createCipher({ keyring: again }).decryptString(sealed)) === 'secret',
    'a second process reads the key file',
  );
  const files = secureStorage({ dir: join(env.tmp, 'files'), cipher });
  const data = new Uint8Array(200_000).map((_, i) => i % 251);
  const id = await files.put('blob.bin', data, { owner: 'smoke' });
  const got = await files.get(id);
  ok(got.name === 'blob.bin' && got.metadata.owner === 'smoke' && got.data.length === data.length, 'get');
  ok(
    got.data.every((b, i) => b === data[i]),
    'bytes round trip across 64 KiB chunks',
  );
  return 'sealed key file 0600, secureStorage 200 KB';
}
