// @org/secrets/node on Node, Bun and Deno: a mounted secret file is read, validated and re-read after it changes.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ok = (cond, what) => {
  if (!cond) throw new Error(`secrets/node smoke: ${what}`);
};

export default async function smoke(m, env) {
  const { secrets } = m['@org/secrets'];
  const { fileProvider } = m['@org/secrets/node'];
  const dir = join(env.tmp, 'secrets');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'DB_PASSWORD'), 'first-password\n');
  const vault = secrets({ providers: [fileProvider({ dir, watch: false })], secrets: { DB_PASSWORD: true }, ttlMs: 1 });
  try {
    await vault.load();
    ok(vault.current('DB_PASSWORD').reveal() === 'first-password', 'file value, trailing newline trimmed');
    writeFileSync(join(dir, 'DB_PASSWORD.tmp'), 'second-password\n');
    renameSync(join(dir, 'DB_PASSWORD.tmp'), join(dir, 'DB_PASSWORD'));
    await vault.refresh();
    ok(vault.current('DB_PASSWORD').reveal() === 'second-password', 'new value after the file was replaced');
  } finally {
    await vault.close();
  }
  return 'fileProvider read, replaced file re-read';
}
