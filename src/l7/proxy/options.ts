/** Limits and timeouts of the L7 reverse proxy (every phase has one). */
import type { TlsCertificates } from '../../util/tls';

/** Proxy options; every field has a default (DEFAULT_PROXY_OPTIONS). */
export interface ProxyOptions {
  /** Largest request head (request line + headers), bytes → 431. */
  maxHeaderBytes: number;
  /** Largest request body, bytes → 413. */
  maxBodyBytes: number;
  /** Bodies of idempotent requests up to this size are buffered so a retry can replay them. */
  replayBufferBytes: number;
  /** Time to receive the request head → 408. */
  headersTimeoutMs: number;
  /** Time to receive the whole request → 408. */
  requestTimeoutMs: number;
  /** Idle time between body chunks while buffering → 408. */
  bodyIdleTimeoutMs: number;
  /** Idle keep-alive connection from a client is closed after this. */
  keepAliveTimeoutMs: number;
  /**
   * Keep-alive connections per member at most: requests beyond it queue in the proxy instead
   * of opening ever more connections to a member that is already saturated.
   */
  upstreamConnections: number;
  /** Upstream TCP connect → connect failure (member ejected, retried). */
  connectTimeoutMs: number;
  /** Upstream response head → 504. */
  upstreamHeadersTimeoutMs: number;
  /** Idle time between upstream response body chunks → response aborted. */
  upstreamBodyTimeoutMs: number;
  /** An upgraded connection (WebSocket) with no byte in either direction for this long is closed. */
  tunnelIdleTimeoutMs: number;
  /** Further attempts on other members for a retryable failure. */
  retries: number;
  /** Scheme the public sees when TLS is terminated in front of this tier, unless a trusted proxy says otherwise. */
  scheme: string;
  /** CIDRs whose Forwarded/X-Forwarded-* are believed (default loopback). */
  trustedProxies: string[];
  /** Terminate TLS with these certificates (SNI chooses); the public scheme is then https. */
  tls?: TlsCertificates;
}

/** Defaults. */
export const DEFAULT_PROXY_OPTIONS: ProxyOptions = {
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 8 * 1024 * 1024,
  replayBufferBytes: 64 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  bodyIdleTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  upstreamConnections: 128,
  connectTimeoutMs: 2_000,
  upstreamHeadersTimeoutMs: 15_000,
  upstreamBodyTimeoutMs: 30_000,
  tunnelIdleTimeoutMs: 300_000,
  retries: 2,
  scheme: 'http',
  trustedProxies: ['127.0.0.0/8', '::1/128'],
};

/** RFC 9110 §9.2.2: methods whose repetition has the same effect (retry is safe). */
export const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
