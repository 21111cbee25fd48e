/**
 * Processing time of UDP queries as a log-bucket histogram: four buckets per power of two of
 * nanoseconds (each bucket at most 19 % wide), 1 ns to 4.3 s. Recording is one index
 * computation and one increment, so it can sit on the per-query path; readers take cumulative
 * snapshots and compute quantiles of the difference between two of them.
 */

/** Buckets per power of two. */
const SUB = 4;
/** Number of buckets: 32 octaves of SUB (values clamp to 2^32 - 1 ns). */
export const LATENCY_BUCKETS = 32 * SUB;

/** The bucket of `ns` nanoseconds (0 for 0 and 1 ns). */
export function latencyBucket(ns: number): number {
  const v = ns >= 0xffffffff ? 0xffffffff : ns > 0 ? ns >>> 0 : 0;
  if (v < 2) return 0;
  const e = 31 - Math.clz32(v);
  const sub = e >= 2 ? (v >>> (e - 2)) & 3 : e === 1 ? (v & 1) * 2 : 0;
  return e * SUB + sub;
}

/** The smallest value (ns) of bucket `i`. */
export function latencyBucketLow(i: number): number {
  const e = Math.floor(i / SUB);
  return 2 ** e * (1 + (i % SUB) / SUB);
}

/** The value (ns) below which a fraction `q` (0..1) of the counts lie, taken at the middle of its bucket; undefined when empty. */
export function latencyQuantile(counts: ArrayLike<number>, q: number): number | undefined {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (seen >= rank) return (latencyBucketLow(i) + latencyBucketLow(i + 1)) / 2;
  }
  return undefined;
}

/** Counts of processing times by bucket, since start. */
export class LatencyHistogram {
  private readonly counts = new Float64Array(LATENCY_BUCKETS);

  /** Counts one duration in nanoseconds. */
  record(ns: number): void {
    this.counts[latencyBucket(ns)]++;
  }

  /** Counts the time since `start` (a `process.hrtime.bigint()` reading). */
  since(start: bigint): void {
    this.counts[latencyBucket(Number(process.hrtime.bigint() - start))]++;
  }

  /** A copy of the cumulative counts, bucket by bucket. */
  snapshot(): number[] {
    return Array.from(this.counts);
  }
}
