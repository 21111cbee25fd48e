/** Query counters of the DNS server, read by telemetry as a plain snapshot. */

/** Online signing of one zone: signatures made by algorithm number, cache hits, errors. */
export interface SigningCounts {
  signatures: Record<string, number>;
  cacheHits: number;
  errors: number;
}

/** A point-in-time copy of the counters. */
export interface DnsCountersSnapshot {
  /** Online signing by zone (absent: no signed zone). */
  dnssec?: Record<string, SigningCounts>;
  /** Answered queries by QTYPE label: the registered mnemonic ('A', 'HTTPS'), else `other` (bounded). */
  queriesByType: Record<string, number>;
  /** Replies by RCODE mnemonic ('NOERROR', 'NXDOMAIN', 'FORMERR', 'BADVERS', …). */
  repliesByRcode: Record<string, number>;
  /** Messages dropped as unreadable (short, QR=1). */
  dropped: number;
  /** Replies sent with TC=1. */
  truncated: number;
  /** Response cache hits and misses (static answers). */
  cacheHits: number;
  cacheMisses: number;
  /** UDP queries answered from the reply cache by query bytes (static and dynamic). */
  replyCacheHits: number;
  /** Queries by transport. */
  udp: number;
  tcp: number;
  /** TCP connections accepted so far. */
  tcpConnections: number;
  /** Response rate limiting: UDP replies dropped, sent short with TC=1 (or BADCOOKIE), not limited for a valid cookie. */
  rrl: { dropped: number; slipped: number; exempt: number };
  /** COOKIE options seen, by RFC 7873 §5.2 case, and BADCOOKIE replies sent. */
  cookies: { clientOnly: number; good: number; bad: number; malformed: number; badcookieSent: number };
  /** TCP connections refused at accept, by limit. */
  tcpRefused: Record<TcpRefuseReason, number>;
  /** TCP connections closed by the server, by limit. */
  tcpClosed: Record<TcpCloseReason, number>;
}

/** Why a new TCP connection was refused: every slot busy mid-message, or its address at its cap with none idle. */
export type TcpRefuseReason = 'full' | 'per_address';
/** Why the server closed a TCP connection. */
export type TcpCloseReason = 'idle' | 'message_timeout' | 'evicted_full' | 'evicted_per_address';

export const TCP_REFUSE_REASONS: readonly TcpRefuseReason[] = ['full', 'per_address'];
export const TCP_CLOSE_REASONS: readonly TcpCloseReason[] = ['idle', 'message_timeout', 'evicted_full', 'evicted_per_address'];

/** Mutable counters indexed by number (cheap on the per-query path); `snapshot()` names them. */
export class DnsCounters {
  private byType = new Float64Array(65536);
  private byRcode = new Float64Array(4096);
  dropped = 0;
  truncated = 0;
  cacheHits = 0;
  cacheMisses = 0;
  replyCacheHits = 0;
  udp = 0;
  tcp = 0;
  tcpConnections = 0;
  rrlDropped = 0;
  rrlSlipped = 0;
  rrlExempt = 0;
  cookieClientOnly = 0;
  cookieGood = 0;
  cookieBad = 0;
  cookieMalformed = 0;
  badcookieSent = 0;
  readonly tcpRefused: Record<TcpRefuseReason, number> = { full: 0, per_address: 0 };
  readonly tcpClosed: Record<TcpCloseReason, number> = { idle: 0, message_timeout: 0, evicted_full: 0, evicted_per_address: 0 };

  /** Counts one reply: its QTYPE (-1 when the question was unreadable) and its (extended) RCODE. */
  reply(qtype: number, rcode: number): void {
    if (qtype >= 0) this.byType[qtype]++;
    this.byRcode[rcode & 0xfff]++;
  }

  /** A plain-object copy, safe to serialise or diff; `typeName`/`rcodeName` give the mnemonics. */
  snapshot(typeName: (t: number) => string, rcodeName: (r: number) => string): DnsCountersSnapshot {
    const named = (arr: Float64Array, name: (n: number) => string): Record<string, number> => {
      const out: Record<string, number> = {};
      for (let i = 0; i < arr.length; i++) if (arr[i] > 0) out[name(i)] = (out[name(i)] ?? 0) + arr[i];
      return out;
    };
    return {
      queriesByType: named(this.byType, typeName),
      repliesByRcode: named(this.byRcode, rcodeName),
      dropped: this.dropped,
      truncated: this.truncated,
      cacheHits: this.cacheHits,
      cacheMisses: this.cacheMisses,
      replyCacheHits: this.replyCacheHits,
      udp: this.udp,
      tcp: this.tcp,
      tcpConnections: this.tcpConnections,
      rrl: { dropped: this.rrlDropped, slipped: this.rrlSlipped, exempt: this.rrlExempt },
      cookies: { clientOnly: this.cookieClientOnly, good: this.cookieGood, bad: this.cookieBad, malformed: this.cookieMalformed, badcookieSent: this.badcookieSent },
      tcpRefused: { ...this.tcpRefused },
      tcpClosed: { ...this.tcpClosed },
    };
  }
}
