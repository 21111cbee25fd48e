import { DEFAULT_DECODE_LIMITS } from './wire/types';
import type { DecodeLimits } from './wire/types';

/** Ingest limits of the receiver; defaults in DEFAULT_LIMITS (docs/signals.md, "Limits"). */
export interface IngestLimits {
  /** Largest request body, compressed or decompressed (HTTP 413 above). */
  maxBodyBytes: number;
  /** Sustained requests per second per token (HTTP 429 above). */
  ratePerToken: number;
  /** Burst size per token. */
  burstPerToken: number;
  /** Requests of one token being read or processed at once (HTTP 429 above). */
  maxInFlightPerToken: number;
  /** Requests being read or processed at once, all tokens together (HTTP 503 above). */
  maxInFlight: number;
  /** Time to receive a request's headers (Node's headersTimeout; 408 and close). */
  headersTimeoutMs: number;
  /** Time to receive a body once its headers were accepted (408 and close). */
  bodyTimeoutMs: number;
  /** Idle keep-alive connections are closed after this. */
  keepAliveMs: number;
  /** Open connections at once; further ones are refused by the kernel backlog / closed. */
  maxConnections: number;
  /** Counts inside one body: resources, records / data points (413), AnyValue depth (400). */
  decode: DecodeLimits;
}

/**
 * 1 MiB bodies; 20 req/s per token with bursts of 40; 4 requests per token and 64 in all in
 * flight; headers within 5 s, a body within 5 s, idle keep-alive 30 s; 1,024 connections;
 * 100 resources, 10,000 records or points, AnyValue depth 400 per body.
 */
export const DEFAULT_LIMITS: IngestLimits = {
  maxBodyBytes: 1 << 20,
  ratePerToken: 20,
  burstPerToken: 40,
  maxInFlightPerToken: 4,
  maxInFlight: 64,
  headersTimeoutMs: 5000,
  bodyTimeoutMs: 5000,
  keepAliveMs: 30_000,
  maxConnections: 1024,
  decode: DEFAULT_DECODE_LIMITS,
};

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

/** Counts requests in flight per key and in total, against two caps. */
export class InFlight {
  private readonly perKey = new Map<string, number>();
  private total = 0;

  constructor(private readonly maxPerKey: number, private readonly maxTotal: number) {
    if (!(maxPerKey >= 1) || !(maxTotal >= maxPerKey)) throw new TypeError(`Invalid in-flight limits: ${maxPerKey} per token, ${maxTotal} in all`);
  }

  /** Takes a slot for `key`: 'ok', or which cap is full ('key' → 429, 'total' → 503). */
  take(key: string): 'ok' | 'key' | 'total' {
    const n = this.perKey.get(key) ?? 0;
    if (n >= this.maxPerKey) return 'key';
    if (this.total >= this.maxTotal) return 'total';
    this.perKey.set(key, n + 1);
    this.total++;
    return 'ok';
  }

  /** Gives a slot of `key` back. */
  release(key: string): void {
    const n = this.perKey.get(key) ?? 0;
    if (n <= 1) this.perKey.delete(key);
    else this.perKey.set(key, n - 1);
    this.total = Math.max(0, this.total - 1);
  }

  /** Slots in use in all. */
  get size(): number {
    return this.total;
  }
}
