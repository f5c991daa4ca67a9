/** @org/hono — Hono middleware for the @org hardening packages. */
export const VERSION_PLACEHOLDER: string = '0.0.0';
