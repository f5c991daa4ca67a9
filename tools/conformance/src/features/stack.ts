// The stack of the features server (serve.ts <app> --features): IP lists, the CSRF guard, a 504 timeout and a
// 60/minute + 1000/hour rate-limit pair with legacy-window headers, built from real core-package instances. No `node:`
// import: the same stack runs on Node, Bun and Deno.
import { crossOriginProtection } from '@org/headers';
import { consoleSink, createLogger, type Logger } from '@org/logger';
import { memoryStore, type RateLimiter, rateLimiters } from '@org/ratelimit';

/** The origin of the front end the CSRF guard trusts. */
export const TRUSTED_ORIGIN = 'https://app.example';
/** Refused everywhere (app-wide deny list): TEST-NET-1 and one IPv6 documentation /48. */
export const DENIED_V4 = '192.0.2.0/24';
export const DENIED_V6 = '2001:db8:bad::/48';
/** The only clients of /admin/* (a per-route allow list): TEST-NET-3 and another IPv6 documentation /48. */
export const ADMIN_V4 = '203.0.113.0/24';
export const ADMIN_V6 = '2001:db8:ad::/48';
export const FEATURE_TIMEOUT_MS = 300;

/** The options of the features server, for every adapter. */
export interface FeatureOptions {
  rateLimit: { limiter: RateLimiter; headers: 'legacy-window' };
  logger: Logger;
  ipFilter: { deny: string[] };
  csrf: ReturnType<typeof crossOriginProtection>;
  timeoutMs: number;
  timeoutStatus: 504;
  trustProxy: 'loopback';
}

/** The per-route list of /admin/*. */
export const ADMIN_FILTER = { allow: [ADMIN_V4, ADMIN_V6] };

export function buildFeatureStack(): FeatureOptions {
  return {
    rateLimit: {
      limiter: rateLimiters(
        [
          { name: 'minute', limit: 60, windowMs: 60_000 },
          { name: 'hour', limit: 1000, windowMs: 3_600_000 },
        ],
        { store: memoryStore() },
      ),
      headers: 'legacy-window',
    },
    logger: createLogger({ sink: consoleSink(), level: 'info' }),
    ipFilter: { deny: [DENIED_V4, DENIED_V6] },
    csrf: crossOriginProtection({ trustedOrigins: [TRUSTED_ORIGIN], exemptPaths: ['POST /hooks/'] }),
    timeoutMs: FEATURE_TIMEOUT_MS,
    timeoutStatus: 504,
    trustProxy: 'loopback',
  };
}

/** A page on the app's own origin that posts to /submit (a same-origin browser request), result in its title. */
export const FORM_PAGE =
  '<!doctype html><title>pending</title><script>fetch("/submit",{method:"POST",headers:{"content-type":"text/plain"},body:"x"}).then(r=>{document.title="status "+r.status})</script>';
