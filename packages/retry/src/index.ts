/** @org/retry — Retries with backoff, jitter, Retry-After and shared retry budgets. */
export const VERSION_PLACEHOLDER: string = '0.0.0';
