import type { ZoneRecord } from '../zone/types';

/**
 * What the DNS server knows about the client of one query, handed to dynamic responders.
 * `address` is the querying address (the resolver); `ecs` is the EDNS Client Subnet option
 * (RFC 7871) when the query carried a valid one.
 */
export interface ClientInfo {
  address: string;
  family: 4 | 6;
  /** RFC 7871 §6: FAMILY 1 = IPv4, 2 = IPv6; `address` is the prefix, host bits zero. */
  ecs?: {
    family: 1 | 2;
    sourcePrefix: number;
    address: string;
    /** ADDRESS as received (ceil(sourcePrefix / 8) bytes); valid only during the call. */
    bytes?: Uint8Array;
  };
}

/** A dynamic answer: the records to put in the answer section and the ECS scope to reply with. */
export interface DynamicAnswer {
  /** Not changed once returned (the DNS writer keeps its encoding per list and per record). */
  records: ZoneRecord[];
  /** ECS scope prefix for the reply */
  scopePrefix: number;
}

/**
 * The decision context of one client for one query type: everything that does not change from
 * query to query (client placement, plan, ECS scope), so repeated queries only draw. The DNS
 * engine keeps one per distinct query (its bytes without the ID) and encodes each distinct
 * answer once; `draw` must return the same object for the same outcome.
 */
export interface DynamicSelection {
  /** The answer for one query (a draw when there is a choice); counts it. */
  draw(): DynamicAnswer;
  /** False once the data it was made from (member state, geo database) changed. */
  current(): boolean;
}

/**
 * Answers one owner name dynamically (the datacenter pick plugs in here). The name must lie
 * inside a served zone and not below a delegation; its answers are authoritative (AA) and follow
 * the zone's NODATA/SOA rules: an empty `records` list is NODATA with the zone's SOA.
 */
export interface DynamicResponder {
  /** absolute owner name, lower-case, no trailing dot */
  readonly name: string;
  /** undefined → fall through to the zone's static data (NODATA if none) */
  answer(qtype: string, client: ClientInfo): DynamicAnswer | undefined;
  /**
   * Optional: the reusable decision context for `qtype` and `client`, undefined where `answer`
   * is. `select(t, c)?.draw()` must be equivalent to `answer(t, c)`.
   */
  select?(qtype: string, client: ClientInfo): DynamicSelection | undefined;
}
