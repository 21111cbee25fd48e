/** Query counters of the DNS server, read by telemetry as a plain snapshot. */

/** A point-in-time copy of the counters. */
export interface DnsCountersSnapshot {
  /** Answered queries by QTYPE mnemonic ('A', 'AAAA', 'TYPE65000'). */
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
  /** Queries by transport. */
  udp: number;
  tcp: number;
  /** TCP connections accepted so far. */
  tcpConnections: number;
}

/** Mutable counters; `snapshot()` copies them. */
export class DnsCounters {
  private byType = new Map<string, number>();
  private byRcode = new Map<string, number>();
  dropped = 0;
  truncated = 0;
  cacheHits = 0;
  cacheMisses = 0;
  udp = 0;
  tcp = 0;
  tcpConnections = 0;

  /** Counts one reply. */
  reply(qtype: string | undefined, rcode: string): void {
    if (qtype !== undefined) this.byType.set(qtype, (this.byType.get(qtype) ?? 0) + 1);
    this.byRcode.set(rcode, (this.byRcode.get(rcode) ?? 0) + 1);
  }

  /** A plain-object copy, safe to serialise or diff. */
  snapshot(): DnsCountersSnapshot {
    return {
      queriesByType: Object.fromEntries(this.byType),
      repliesByRcode: Object.fromEntries(this.byRcode),
      dropped: this.dropped,
      truncated: this.truncated,
      cacheHits: this.cacheHits,
      cacheMisses: this.cacheMisses,
      udp: this.udp,
      tcp: this.tcp,
      tcpConnections: this.tcpConnections,
    };
  }
}
