// Every code in headersErrorCodes is triggered for real, through the public API of the source and of both builds, and
// checked against the error contract; the README's errors table is checked against the same export.
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { errorContractSuite } from '../../../tools/error-contract/src/index.js';
import * as src from './index.js';

type Pkg = typeof src;

/**
 * The package's CommonJS build evaluated in a fresh JavaScript realm that has `TextEncoder` but no Web Crypto
 * (`globalThis.crypto`), as on a runtime that lacks it. Node itself always has it; this is the real code path on a
 * real engine.
 */
function withoutWebCrypto(): Pkg {
  const code = readFileSync(new URL('../dist/index.cjs', import.meta.url), 'utf8');
  const module = { exports: {} as Pkg };
  runInNewContext(
    `(function (module, exports) {${code}\n})`,
    { TextEncoder },
    { filename: 'index.cjs' },
  )(module, module.exports);
  return module.exports;
}

const nonced = (m: Pkg) => m.securityHeaders({ contentSecurityPolicy: { nonce: true } });

const triggers: { [K in keyof Pkg['headersErrorCodes']]: Array<(m: Pkg) => unknown> } = {
  ERR_INVALID_NONCE: [
    (m) => nonced(m).forRequest({ nonce: 'too-short' }),
    (m) => nonced(m).apply(new Headers(), `${m.generateNonce()}\r\nSet-Cookie: a=b`),
    (m) => nonced(m).forRequest({}),
  ],
  ERR_NO_WEB_CRYPTO: [() => withoutWebCrypto().generateNonce(), () => withoutWebCrypto().cspHash('alert(1)')],
  ERR_INVALID_OPTION: [
    (m) => m.securityHeaders({ preset: 'strict' as never }),
    (m) => m.securityHeaders({ strictTransportSecurity: { maxAgeSec: -1 } }),
    (m) => m.securityHeaders({ contentSecurityPolicy: { directives: { 'script-src': ["'self'\r\n"] } } }),
    (m) => m.cors({ origin: '*', credentials: true }),
    (m) => m.crossOriginProtection({ exemptPaths: ['/a/{x}/{x}'] }),
    (m) => m.securityHeaders().extend({ referrerPolicy: 'sometimes' as never }),
  ],
  ERR_INVALID_ARGUMENT: [
    (m) => m.appendVary('Origin', 'not a header'),
    (m) => m.clearSiteData([]),
    (m) => m.cspHash('alert(1)', 'md5' as never),
    (m) => m.securityHeaders().apply({} as never),
  ],
};

errorContractSuite({
  name: '@org/headers',
  root: new URL('../', import.meta.url),
  src,
  table: (m) => m.headersErrorCodes,
  guard: (m) => m.isHeadersError,
  triggers,
});
