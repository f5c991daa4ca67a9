/**
 * Sliding windows of call outcomes with O(1) record and O(1) totals.
 * - CountWindow: the last `size` calls in a ring buffer (one byte per call, allocated on first use).
 * - TimeWindow: `buckets` buckets covering `ms`; moving forward clears only the buckets that left the window, and a
 *   jump of a whole window or more clears them all, so after an idle longer than the window nothing stale remains.
 */
export interface OutcomeWindow {
  /** Calls currently in the window. */
  total: number;
  /** Failed calls currently in the window. */
  failures: number;
  /** Slow calls currently in the window. */
  slow: number;
  /** Records one call at time `now` (ignored by the count window). */
  record(failure: boolean, slow: boolean, now: number): void;
  /** Drops whatever has left the window by time `now`. */
  advance(now: number): void;
  /** Empties the window. */
  reset(): void;
}

const FAILURE = 1;
const SLOW = 2;

/** Ring buffer of the last `size` outcomes. */
export class CountWindow implements OutcomeWindow {
  total = 0;
  failures = 0;
  slow = 0;
  private ring: Uint8Array | null = null;
  private next = 0;
  constructor(private readonly size: number) {}

  record(failure: boolean, slow: boolean): void {
    let ring = this.ring;
    if (ring === null) ring = this.ring = new Uint8Array(this.size);
    const i = this.next;
    if (this.total === this.size) {
      const old = ring[i]!;
      if (old & FAILURE) this.failures--;
      if (old & SLOW) this.slow--;
    } else {
      this.total++;
    }
    ring[i] = (failure ? FAILURE : 0) | (slow ? SLOW : 0);
    if (failure) this.failures++;
    if (slow) this.slow++;
    this.next = i + 1 === this.size ? 0 : i + 1;
  }

  advance(): void {}

  reset(): void {
    // Drop the buffer rather than zeroing it: a breaker that has closed again costs no memory until its next call.
    this.ring = null;
    this.next = 0;
    this.total = 0;
    this.failures = 0;
    this.slow = 0;
  }
}

/** `buckets` time buckets of `ms / buckets` each. */
export class TimeWindow implements OutcomeWindow {
  total = 0;
  failures = 0;
  slow = 0;
  /** Per bucket: calls, failures, slow calls. */
  private counts: Float64Array | null = null;
  /** Index (time / width, floored) of the newest bucket; -Infinity when empty. */
  private head = Number.NEGATIVE_INFINITY;
  private readonly width: number;
  constructor(
    ms: number,
    private readonly buckets: number,
  ) {
    this.width = ms / buckets;
  }

  advance(now: number): void {
    const id = Math.floor(now / this.width);
    const head = this.head;
    if (id <= head) return; // same bucket, or the clock went back: keep counting into the newest bucket
    this.head = id;
    const counts = this.counts;
    if (counts === null || this.total === 0) return;
    const n = this.buckets;
    if (id - head >= n) {
      counts.fill(0);
      this.total = 0;
      this.failures = 0;
      this.slow = 0;
      return;
    }
    for (let b = head + 1; b <= id; b++) {
      const j = (((b % n) + n) % n) * 3;
      this.total -= counts[j]!;
      this.failures -= counts[j + 1]!;
      this.slow -= counts[j + 2]!;
      counts[j] = 0;
      counts[j + 1] = 0;
      counts[j + 2] = 0;
    }
  }

  record(failure: boolean, slow: boolean, now: number): void {
    this.advance(now);
    let counts = this.counts;
    if (counts === null) counts = this.counts = new Float64Array(this.buckets * 3);
    const n = this.buckets;
    const j = (((this.head % n) + n) % n) * 3;
    counts[j]!++;
    this.total++;
    if (failure) {
      counts[j + 1]!++;
      this.failures++;
    }
    if (slow) {
      counts[j + 2]!++;
      this.slow++;
    }
  }

  reset(): void {
    this.counts = null;
    this.head = Number.NEGATIVE_INFINITY;
    this.total = 0;
    this.failures = 0;
    this.slow = 0;
  }
}
