/** @org/health — Health probes with Kubernetes semantics and graceful shutdown that drops nothing. */
export const VERSION_PLACEHOLDER: string = '0.0.0';
