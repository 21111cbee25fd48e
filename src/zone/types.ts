import type { SourceError, SourcePos } from '../util/source-error';

/**
 * One resource record loaded from a zone file.
 * `data` has the shape dns-packet uses for the type's RDATA (e.g. A: '192.0.2.1',
 * MX: { preference, exchange }, SOA: { mname, rname, serial, refresh, retry, expire, minimum },
 * TXT: Buffer[]), so the DNS layer can encode it directly.
 */
export interface ZoneRecord {
  /** Absolute owner name, lower-case, no trailing dot ('www.example.com'; the root is ''). */
  name: string;
  /** Mnemonic type, upper-case: 'A', 'AAAA', 'SOA', … */
  type: string;
  class: 'IN';
  /** TTL in seconds. */
  ttl: number;
  data: unknown;
  /** Where the record was written. */
  pos: SourcePos;
}

/** A parsed zone: every record of one origin, with its SOA. */
export interface Zone {
  /** Absolute origin, lower-case, no trailing dot. */
  origin: string;
  /** The file the zone was read from (the first one, when `$INCLUDE` pulled others in). */
  file: string;
  soa: ZoneRecord;
  records: ZoneRecord[];
  /**
   * Things the parser corrected rather than rejected, as BIND does: a record whose TTL differed
   * from its RRset's (set to the first TTL, RFC 2181 §5.2) and duplicate records (dropped).
   * Added by the zone parser; absent means none.
   */
  warnings?: SourceError[];
}
