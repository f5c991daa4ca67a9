// Minimal types for the parts of opossum 10 the bench uses (it ships none; @types/opossum is not installed).
declare module 'opossum' {
  export default class CircuitBreaker<R = unknown> {
    constructor(action: (...args: any[]) => Promise<R>, options?: Record<string, unknown>);
    fire(...args: unknown[]): Promise<R>;
    open(): void;
    shutdown(): void;
  }
}
