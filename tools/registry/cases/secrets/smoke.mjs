// @org/secrets on any runtime: loads from an env object, validates, never prints a value, reports every problem.
const ok = (cond, what) => {
  if (!cond) throw new Error(`secrets smoke: ${what}`);
};

export default async function smoke(m) {
  const { secrets, envProvider, secret, isSecretsError, REDACTED } = m['@org/secrets'];
  const env = { API_TOKEN: 'tok-1234567890abcdef', DATABASE_URL: 'postgres://u:p@db/app' };
  const vault = secrets({
    providers: [envProvider({ env })],
    secrets: {
      API_TOKEN: { minLength: 16 },
      DATABASE_URL: { validate: (v) => v.startsWith('postgres://') || 'must be a postgres:// URL' },
      OPTIONAL: { optional: true },
    },
  });
  await vault.load();
  const token = vault.current('API_TOKEN');
  ok(token.reveal() === env.API_TOKEN, 'reveal() gives the value');
  for (const shown of [String(token), `${token}`, JSON.stringify({ token })])
    ok(!shown.includes('tok-') && shown.includes(REDACTED), `a value leaked: ${shown}`);
  ok((await vault.get('OPTIONAL')) === undefined, 'optional secret absent');
  ok(secret('abc').equals('abc') && !secret('abc').equals('abd'), 'equals');
  await vault.close?.();

  const bad = secrets({
    providers: [envProvider({ env: { API_TOKEN: 'short' } })],
    secrets: { API_TOKEN: { minLength: 16 }, DATABASE_URL: {} },
  });
  const err = await bad.load().then(
    () => null,
    (e) => e,
  );
  ok(isSecretsError(err), `load() rejects with a SecretsError, got ${err}`);
  ok(/API_TOKEN/.test(err.message) && /DATABASE_URL/.test(err.message), `every problem named: ${err.message}`);
  ok(!err.message.includes('short'), 'the error carries no value');
  await bad.close?.();
  return 'env provider, validation, redaction, one error naming every problem';
}
