/** @org/breaker — Circuit breaker and bulkhead: fast, allocation-free on the hot path, runtime-agnostic. */
export const VERSION_PLACEHOLDER: string = '0.0.0';
