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
  ecs?: { family: 1 | 2; sourcePrefix: number; address: string };
}

/** A dynamic answer: the records to put in the answer section and the ECS scope to reply with. */
export interface DynamicAnswer {
  records: ZoneRecord[];
  /** ECS scope prefix for the reply */
  scopePrefix: number;
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
}
