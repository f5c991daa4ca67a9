/** @org/ratelimit — Exact rate limiting in memory and on Redis: GCRA, sliding window, token bucket, fixed window. */
export const VERSION_PLACEHOLDER: string = '0.0.0';
