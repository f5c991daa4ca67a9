/**
 * Reference model for the property tests, written independently of src/: each algorithm is a plain state machine
 * (leaky-bucket level for GCRA, refilling bucket for token bucket, request logs for the two window algorithms) that
 * answers one question — "would `cost` be admitted at time t?" — in BigInt. remaining, retryAfterMs and resetMs are
 * then found by brute-force search over that predicate, not by formulas.
 */
export type Algo = 'gcra' | 'sliding-window' | 'token-bucket' | 'fixed-window';

export interface ModelResult {
  allowed: boolean;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
}

const B = BigInt;

export class Model {
  private level = 0n; // GCRA: µs of backlog
  private tokens: bigint; // token bucket: tokens * windowMs
  private last = 0;
  private log: Array<[number, number]> = []; // windows: [time, cost]
  readonly capacity: number;
  private readonly T: bigint;
  private readonly tau: bigint;

  constructor(
    readonly algo: Algo,
    readonly limit: number,
    readonly W: number,
    readonly burst: number,
  ) {
    this.capacity = algo === 'gcra' || algo === 'token-bucket' ? burst : limit;
    this.T = B(Math.ceil((W * 1000) / limit));
    this.tau = B(burst) * this.T;
    this.tokens = B(burst) * B(W);
  }

  private levelAt(t: number): bigint {
    const l = this.level - B(Math.max(0, t - this.last)) * 1000n;
    return l > 0n ? l : 0n;
  }
  private tokensAt(t: number): bigint {
    const cap = B(this.burst) * B(this.W);
    const x = this.tokens + B(Math.max(0, t - this.last)) * B(this.limit);
    // biome-ignore lint/complexity/useMathMinMax: BigInt
    return x > cap ? cap : x;
  }
  private sums(t: number): [bigint, bigint] {
    const k = Math.floor(t / this.W);
    let curr = 0n;
    let prev = 0n;
    for (const [at, c] of this.log) {
      const j = Math.floor(at / this.W);
      if (j === k) curr += B(c);
      else if (j === k - 1) prev += B(c);
    }
    return [curr, prev];
  }

  allows(t: number, cost: number): boolean {
    const c = B(cost);
    switch (this.algo) {
      case 'gcra':
        return this.levelAt(t) + c * this.T <= this.tau;
      case 'token-bucket':
        return this.tokensAt(t) >= c * B(this.W);
      case 'fixed-window':
        return this.sums(t)[0] + c <= B(this.limit);
      default: {
        const [curr, prev] = this.sums(t);
        const W = B(this.W);
        const el = B(t - Math.floor(t / this.W) * this.W);
        return prev * (W - el) + (curr + c) * W <= B(this.limit) * W;
      }
    }
  }

  private take(t: number, cost: number): void {
    switch (this.algo) {
      case 'gcra':
        this.level = this.levelAt(t) + B(cost) * this.T;
        this.last = t;
        return;
      case 'token-bucket':
        this.tokens = this.tokensAt(t) - B(cost) * B(this.W);
        this.last = t;
        return;
      default:
        this.log.push([t, cost]);
        this.log = this.log.filter(([at]) => at >= t - 2 * this.W);
    }
  }

  refund(t: number, cost: number): ModelResult {
    switch (this.algo) {
      case 'gcra': {
        const l = this.levelAt(t) - B(cost) * this.T;
        this.level = l > 0n ? l : 0n;
        this.last = t;
        break;
      }
      case 'token-bucket': {
        const cap = B(this.burst) * B(this.W);
        const x = this.tokensAt(t) + B(cost) * B(this.W);
        // biome-ignore lint/complexity/useMathMinMax: BigInt
        this.tokens = x > cap ? cap : x;
        this.last = t;
        break;
      }
      default: {
        const curr = Number(this.sums(t)[0]);
        if (curr > 0) this.log.push([t, -Math.min(cost, curr)]);
      }
    }
    return { allowed: true, ...this.describe(t), retryAfterMs: 0 };
  }

  private horizon(): number {
    return 4 * this.W + Math.ceil(((this.burst + this.capacity) * this.W) / this.limit) + 10;
  }

  private search(lo: number, hi: number, ok: (d: number) => boolean): number {
    // smallest d in [lo, hi] with ok(d); ok is monotone.
    if (!ok(hi)) throw new Error(`model: no d <= ${hi} satisfies the predicate`);
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (ok(mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private describe(t: number): { remaining: number; resetMs: number } {
    let remaining = 0;
    while (remaining < this.capacity && this.allows(t, remaining + 1)) remaining++;
    const horizon = this.horizon();
    const resetMs = this.search(0, horizon, (d) => this.allows(t + d, this.capacity));
    return { remaining, resetMs };
  }

  decide(t: number, cost: number, commit: boolean): ModelResult {
    if (this.allows(t, cost)) {
      if (commit) this.take(t, cost);
      return { allowed: true, ...this.describe(t), retryAfterMs: 0 };
    }
    const retryAfterMs = this.search(1, this.horizon(), (d) => this.allows(t + d, cost));
    return { allowed: false, ...this.describe(t), retryAfterMs };
  }
}
