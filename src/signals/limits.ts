/** Ingest limits of the receiver; defaults in DEFAULT_LIMITS. */
export interface IngestLimits {
  /** Largest request body, compressed or decompressed (HTTP 413 above). */
  maxBodyBytes: number;
  /** Sustained requests per second per token (HTTP 429 above). */
  ratePerToken: number;
  /** Burst size per token. */
  burstPerToken: number;
  /** Requests being processed at once, all tokens together (HTTP 503 above). */
  maxInFlight: number;
}

/** 1 MiB bodies, 20 req/s per token with bursts of 40, 64 requests in flight. */
export const DEFAULT_LIMITS: IngestLimits = { maxBodyBytes: 1 << 20, ratePerToken: 20, burstPerToken: 40, maxInFlight: 64 };

/**
 * Token buckets keyed by token (a member), time injected. `take` answers 0 when a request may
 * proceed, else the seconds to wait (for `Retry-After`).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly rate: number, private readonly burst: number, private readonly now: () => number = Date.now) {
    if (!(rate > 0) || !(burst >= 1)) throw new TypeError(`Invalid rate limit: ${rate}/s burst ${burst}`);
  }

  /** Takes one token from `key`'s bucket; returns 0 on success or the Retry-After seconds. */
  take(key: string): number {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.rate));
  }
}
