/** @org/headers — Security headers and CORS, precompiled once, near-free per request. */
export const VERSION_PLACEHOLDER: string = '0.0.0';
