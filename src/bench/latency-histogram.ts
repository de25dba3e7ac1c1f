/**
 * A fixed-bucket latency histogram: 10 us buckets up to 2 s (the last bucket holds everything
 * slower), like radload's, so percentiles from our bench and radload are computed the same way.
 * Recording is one array increment; nothing allocates.
 */
export class LatencyHistogram {
  static readonly BUCKET_MS = 0.01;
  static readonly BUCKETS = 200_001;
  private readonly counts = new Uint32Array(LatencyHistogram.BUCKETS);
  private n = 0;
  private maxMs = 0;

  /** Records one latency in milliseconds. */
  record(ms: number): void {
    let b = Math.floor(ms / LatencyHistogram.BUCKET_MS);
    if (b >= LatencyHistogram.BUCKETS) b = LatencyHistogram.BUCKETS - 1;
    this.counts[b]!++;
    this.n++;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  /** Number of recorded latencies. */
  get count(): number {
    return this.n;
  }

  /** Slowest recorded latency in ms (exact, not bucketed). */
  get max(): number {
    return this.maxMs;
  }

  /** The q-quantile (0 < q < 1) in ms: the lower edge of the bucket holding it; 0 when empty. */
  quantile(q: number): number {
    const want = Math.floor(q * this.n);
    let acc = 0;
    for (let i = 0; i < this.counts.length; i++) {
      acc += this.counts[i]!;
      if (acc > want) return i * LatencyHistogram.BUCKET_MS;
    }
    return 0;
  }

  /** Forgets everything recorded. */
  reset(): void {
    this.counts.fill(0);
    this.n = 0;
    this.maxMs = 0;
  }

  /** Adds another histogram's counts into this one (for merging per-thread results). */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.n += other.n;
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
  }
}
