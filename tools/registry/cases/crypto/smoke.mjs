// @org/crypto on any runtime: a known-answer test of AES-256-GCM (native backend where the runtime has one, noble
// elsewhere, same bytes), envelope encryption round trip, tamper detection, rotation.
const ok = (cond, what) => {
  if (!cond) throw new Error(`crypto smoke: ${what}`);
};
const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');

export default async function smoke(m) {
  const { aes256gcm, xchacha20poly1305, createKeyring, createCipher, memoryKeyStore, isAuthenticationError } =
    m['@org/crypto'];
  // NIST GCM test case 13: zero key, zero nonce, empty plaintext.
  const gcm = aes256gcm(new Uint8Array(32));
  ok(hex(gcm.encrypt(new Uint8Array(12), new Uint8Array(0))) === '530f8afbc74536b9a963b4f1c4cb738b', 'GCM vector');
  const noble = aes256gcm(new Uint8Array(32), { backend: 'noble' });
  ok(hex(noble.encrypt(new Uint8Array(12), new Uint8Array(0))) === '530f8afbc74536b9a963b4f1c4cb738b', 'noble GCM');
  const x = xchacha20poly1305(new Uint8Array(32).fill(7));
  const ct = x.encrypt(new Uint8Array(24), new TextEncoder().encode('hi'));
  ok(new TextDecoder().decode(x.decrypt(new Uint8Array(24), ct)) === 'hi', 'xchacha20-poly1305 round trip');

  const keyring = await createKeyring({ store: memoryKeyStore() });
  const cipher = createCipher({ keyring });
  const sealed = await cipher.encryptString('078-05-1120', { aad: 'users/42/ssn' });
  ok((await cipher.decryptString(sealed, { aad: 'users/42/ssn' })) === '078-05-1120', 'envelope round trip');
  const wrongRow = await cipher.decryptString(sealed, { aad: 'users/43/ssn' }).catch((e) => e);
  ok(isAuthenticationError(wrongRow), `another row's AAD fails: ${wrongRow}`);
  await keyring.rotate();
  ok(cipher.needsRewrap(sealed), 'rotation makes the old envelope need a rewrap');
  const rewrapped = await cipher.rewrap(sealed, { aad: 'users/42/ssn' });
  ok((await cipher.decryptString(rewrapped, { aad: 'users/42/ssn' })) === '078-05-1120', 'rewrap');
  return `GCM vector (${gcm.backend}), envelope, AAD binding, rotation`;
}
